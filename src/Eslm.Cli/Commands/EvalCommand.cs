using System.CommandLine;
using Eslm.Tensors;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Eslm.Evaluation;
using Eslm.Model;
using Eslm.Reporting;

namespace Eslm.Cli.Commands;

/// <summary>`eslm eval`: all-token loss over whole validation splits (perplexity, bits per byte, per-domain, CVaR) and zero-shot tasks.</summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint", "-c") { Description = "Model: a checkpoint or run directory, .safetensors, llm.c .bin, or preset:NAME", Required = true };
        var data = new Option<string[]>("--data") { Description = "Dataset folder(s) whose validation split is evaluated (repeatable)", AllowMultipleArgumentsPerToken = true };
        var maxTokens = new Option<long>("--max-tokens") { Description = "Evaluate at most N predictions per dataset (0 = the whole split)", DefaultValueFactory = _ => 0 };
        var task = new Option<string[]>("--task")
        {
            Description = "Zero-shot task: `hellaswag FILE.jsonl` (ctx/endings/label) or `cloze FILE.jsonl` (context/target); repeatable",
            AllowMultipleArgumentsPerToken = true,
        };
        var batch = new Option<int>("--batch", "-b") { Description = "Sequences per forward", DefaultValueFactory = _ => 8 };
        var seq = new Option<int>("--seq", "-t") { Description = "Tokens per window for loss and task evaluation (default: the window an Eslm checkpoint was trained with, else the model's context)", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table" };
        var threads = new Option<int>("--threads") { Description = "Threads (0 = all cores)", DefaultValueFactory = _ => 0 };
        var command = new Command("eval", "Evaluate a model: mean loss over every token of validation splits (never selection), perplexity, bits per byte, " +
                                          "loss per domain, worst-domain loss, CVaR₀.₉ of per-document loss; HellaSwag-style and cloze tasks.");
        foreach (var o in new Option[] { checkpoint, data, maxTokens, task, batch, seq, json, threads }) command.Options.Add(o);
        var precision = new PrecisionOption();
        precision.AddTo(command);
        command.SetAction(r => CliRunner.Run(() =>
        {
            CliRunner.ConfigureThreads(r.GetValue(threads));
            var datasets = r.GetValue(data) ?? [];
            var tasks = r.GetValue(task) ?? [];
            if (datasets.Length == 0 && tasks.Length == 0) throw new ArgumentException("nothing to evaluate: give --data DATASET and/or --task KIND FILE");
            if (tasks.Length % 2 != 0) throw new ArgumentException("--task takes pairs: KIND FILE (e.g. --task hellaswag items.jsonl)");
            // Every input is checked (and every task file read) before the model loads and any evaluation starts.
            var kinds = TaskKinds(tasks);
            if (r.GetValue(batch) < 1) throw new ArgumentException("--batch must be >= 1");
            if (r.GetValue(maxTokens) < 0) throw new ArgumentException("--max-tokens must be >= 0");
            foreach (var d in datasets) TextData.CheckEvalCorpus(d);
            var taskItems = LoadTasks(kinds, tasks);
            string path = r.GetValue(checkpoint)!;
            ModelLoader.CheckExists(path, "--checkpoint");
            var gemmPrecision = precision.Resolve(r);
            using var model = ModelLoader.LoadAnnounced(path);
            model.Precision = gemmPrecision;
            int T = ModelLoader.Window(r.GetValue(seq), model.Config, ModelLoader.TrainedWindow(path));
            int B = r.GetValue(batch);
            bool asJson = r.GetValue(json);
            var output = new JsonObject { ["checkpoint"] = path, ["model"] = model.Config.ToString(), ["precision"] = gemmPrecision.Name(), ["seq"] = T };
            output["datasets"] = EvaluateDatasets(model, datasets, B, T, r.GetValue(maxTokens), asJson);
            output["tasks"] = EvaluateTasks(model, kinds, tasks, taskItems, B, T, asJson);
            if (asJson) Console.WriteLine(output.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }));
        return command;
    }

    /// <summary>The lower-cased kind of each `--task KIND FILE` pair; an unknown kind or a missing file is an error.</summary>
    private static string[] TaskKinds(string[] tasks)
    {
        var kinds = new string[tasks.Length / 2];
        for (int i = 0; i < tasks.Length; i += 2)
        {
            kinds[i / 2] = tasks[i].ToLowerInvariant();
            if (kinds[i / 2] is not ("hellaswag" or "cloze")) throw new ArgumentException($"--task kind must be hellaswag or cloze (got '{tasks[i]}')");
            if (!File.Exists(tasks[i + 1])) throw new FileNotFoundException($"{tasks[i + 1]}: task file not found");
        }
        return kinds;
    }

    /// <summary>Each task file's items: a <see cref="List{MultipleChoiceItem}"/> for hellaswag, a <see cref="List{ClozeItem}"/> for cloze.</summary>
    private static object[] LoadTasks(string[] kinds, string[] tasks)
    {
        var taskItems = new object[kinds.Length];
        for (int i = 0; i < kinds.Length; i++)
            taskItems[i] = kinds[i] == "hellaswag" ? DownstreamTasks.LoadMultipleChoice(tasks[2 * i + 1]) : DownstreamTasks.LoadCloze(tasks[2 * i + 1]);
        return taskItems;
    }

    /// <summary>All-token loss over each dataset's validation split, printed as a table unless <paramref name="asJson"/>.</summary>
    private static JsonArray EvaluateDatasets(Gpt model, string[] datasets, int B, int T, long maxTokens, bool asJson)
    {
        var results = new JsonArray();
        foreach (var d in datasets)
        {
            var corpus = TextData.OpenEvalCorpus(d);
            long total = Math.Max(0, corpus.Tokens.Length - 1);
            if (maxTokens > 0) total = Math.Min(total, maxTokens);
            var bar = new ProgressReporter($"eval {Path.GetFileName(d.TrimEnd('/'))}", total, "tok");
            var clock = Stopwatch.StartNew();
            var report = LossEvaluator.Evaluate(model, corpus, B, T, maxTokens, (done, _) => bar.Report(done));
            double rate = report.Tokens / clock.Elapsed.TotalSeconds;
            var o = EvalJson.Of(report);
            o["data"] = d;
            o["tokens_per_s"] = Math.Round(rate);
            results.Add(o);
            if (!asJson) PrintLoss(d, report, rate);
        }
        return results;
    }

    /// <summary>The zero-shot tasks, printed as lines unless <paramref name="asJson"/>.</summary>
    private static JsonArray EvaluateTasks(Gpt model, string[] kinds, string[] tasks, object[] taskItems, int B, int T, bool asJson)
    {
        var taskResults = new JsonArray();
        for (int i = 0; i < kinds.Length; i++)
        {
            string kind = kinds[i], file = tasks[2 * i + 1];
            var clock = Stopwatch.StartNew();
            if (taskItems[i] is List<MultipleChoiceItem> choices)
            {
                var bar = new ProgressReporter($"{kind} {Path.GetFileName(file)}", choices.Sum(x => x.Endings.Count), "seq");
                var res = DownstreamTasks.EvaluateMultipleChoice(model, choices, TextData.Encode, B, (done, _) => bar.Report(done), window: T);
                taskResults.Add(new JsonObject { ["task"] = kind, ["file"] = file, ["items"] = res.Items, ["acc"] = res.Accuracy, ["acc_norm"] = res.AccuracyNormalized, ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 2) });
                if (!asJson) Console.WriteLine($"{file}: {res.Items} items, acc {res.Accuracy:F4}, acc_norm {res.AccuracyNormalized:F4} (chance {1.0 / choices.Select(x => x.Endings.Count).DefaultIfEmpty(4).Average():F2})");
            }
            else
            {
                var items = (List<ClozeItem>)taskItems[i];
                // Sequences scored: each target, plus three distractors per item when the file allows the choice figure.
                var bar = new ProgressReporter($"{kind} {Path.GetFileName(file)}", items.Count, "seq");
                var res = DownstreamTasks.EvaluateCloze(model, items, TextData.Encode, B, (done, total) => { bar.Total = total; bar.Report(done); }, window: T);
                var o = EvalJson.Of(res, file);
                o["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 2);
                taskResults.Add(o);
                if (!asJson) PrintCloze(file, res);
            }
        }
        return taskResults;
    }

    private static void PrintCloze(string file, ClozeResult r)
    {
        Console.WriteLine($"{file}: {r.Items} items, last-word accuracy {r.Accuracy:F4}, target perplexity {r.TargetPerplexity:F2}");
        string choice = double.IsNaN(r.ChoiceAccuracy)
            ? $"{ClozeResult.ChoiceCandidates}-way choice n/a (fewer than {ClozeResult.ChoiceCandidates} distinct targets)"
            : $"{ClozeResult.ChoiceCandidates}-way choice accuracy {r.ChoiceAccuracy:F4} (chance {1.0 / ClozeResult.ChoiceCandidates:F2})";
        Console.WriteLine($"  target log-prob {r.TargetLogProb:F3} nats, median first-token rank {r.TargetRank:0.#}, {choice}");
    }

    private static void PrintLoss(string data, LossReport r, double rate)
    {
        Console.WriteLine($"{data}: {r.Tokens} tokens, loss {r.Loss:F4}, perplexity {r.Perplexity:F2}" +
                          (double.IsFinite(r.BitsPerByte) ? $", {r.BitsPerByte:F4} bits/byte" : "") +
                          $", CVaR0.9 of {r.DocumentsEvaluated} documents {r.DocumentCvar90:F4} ({rate:F0} tok/s)");
        if (r.Domains.Count > 1)
        {
            foreach (var d in r.Domains)
                Console.WriteLine($"  {d.Domain,-24} loss {d.Loss:F4}  ppl {Math.Exp(d.Loss),9:F2}  {d.Tokens,10} tokens  {d.Documents,6} docs{(d.Domain == r.WorstDomain ? "  ← worst" : "")}");
        }
    }
}
