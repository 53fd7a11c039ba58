using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Eslm.Checkpoints;
using Eslm.Data;
using Eslm.Records;
using Eslm.Selection;
using Eslm.Tensors;
using Eslm.Training;

namespace Eslm.Cli.Commands;

/// <summary>
/// `eslm selection-overlap --a RUN --b RUN --data D`: how far two models' kept-token sets agree on the same batches
/// (e.g. the fp32 and bf16 runs of one seed, issue 15). Each model runs in the precision its run trained with.
/// </summary>
public static class SelectionOverlapCommand
{
    public static Command Create()
    {
        var a = new Option<string>("--a") { Description = "First model: checkpoint or run directory", Required = true };
        var b = new Option<string>("--b") { Description = "Second model: checkpoint or run directory", Required = true };
        var precisionA = new Option<string?>("--precision-a") { Description = "Precision of the first model's forward: fp32 or bf16 (default: what its run trained with, from run.json; fp32 when none is recorded)" };
        var precisionB = new Option<string?>("--precision-b") { Description = "Precision of the second model's forward (default: what its run trained with)" };
        var data = new Option<string>("--data") { Description = "Dataset folder (or a single token file) the batches come from", Required = true };
        var split = new Option<string>("--split") { Description = "Split of a dataset folder", DefaultValueFactory = _ => "val" };
        split.AcceptOnlyFromAmong("train", "val");
        var batches = new Option<int>("--batches") { Description = "Batches compared (B aligned T-token windows each, from the split's start)", DefaultValueFactory = _ => 20 };
        var batch = new Option<int>("--batch", "-b") { Description = "Sequences per batch (B): the selection's micro-batch", DefaultValueFactory = _ => 8 };
        var seq = new Option<int>("--seq", "-t") { Description = "Tokens per sequence (T)", DefaultValueFactory = _ => 256 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table" };
        var threads = new Option<int>("--threads") { Description = "Threads (0 = all cores)", DefaultValueFactory = _ => 0 };
        var selection = new SelectionCliOptions();
        var command = new Command("selection-overlap",
            "Compare which tokens two models keep on the same batches (Jaccard index, agreement, and the Jaccard index of chance).");
        foreach (var o in new Option[] { a, b, precisionA, precisionB, data, split, batches, batch, seq, json, threads }) command.Options.Add(o);
        selection.AddTo(command);
        command.SetAction(r => CliRunner.Run(() =>
        {
            CliRunner.ConfigureThreads(r.GetValue(threads));
            string pathA = r.GetValue(a)!, pathB = r.GetValue(b)!;
            ModelLoader.CheckExists(pathA, "--a");
            ModelLoader.CheckExists(pathB, "--b");
            UnusedOptions.RefuseSplitOfFile(r, split, r.GetValue(data)!);
            var sel = selection.Resolve(r);
            selection.CheckIgnored(r, sel, m => Console.Error.WriteLine($"eslm: warning: {m}"));
            var precA = ResolvePrecision(r.GetValue(precisionA), "--precision-a", pathA);
            var precB = ResolvePrecision(r.GetValue(precisionB), "--precision-b", pathB);
            using var tokens = TokenSequence.Open(r.GetValue(data)!, r.GetValue(split)!);
            ModelLoader.AnnounceRunCheckpoint(pathA);
            using var modelA = ModelLoader.Load(pathA);
            ModelLoader.AnnounceRunCheckpoint(pathB);
            using var modelB = ModelLoader.Load(pathB);
            modelA.Precision = precA;
            modelB.Precision = precB;
            var result = SelectionOverlap.Measure(modelA, StrategyRegistry.Create(sel), modelB, StrategyRegistry.Create(sel), tokens,
                r.GetValue(batch), r.GetValue(seq), r.GetValue(batches), ModelLoader.Load);
            Print(result, pathA, precA, pathB, precB, sel, r.GetValue(json));
            return 0;
        }));
        return command;
    }

    /// <summary>The explicit flag, else the precision recorded in the run's run.json (a run directory or a checkpoint inside one), else fp32.</summary>
    private static Precision ResolvePrecision(string? flag, string option, string path)
    {
        // PrecisionNames and OneDnn name --precision; this command's flags are --precision-a and --precision-b.
        try { return PrecisionOption.Checked(flag ?? RecordedPrecision(path).Name()); }
        catch (ArgumentException) { throw new ArgumentException($"{option} must be fp32 or bf16 (got '{flag}')"); }
        catch (NotSupportedException e) { throw new NotSupportedException(e.Message.Replace("--precision ", option + " ")); }
    }

    /// <summary>The precision recorded in run.json: options.precision (absent in runs from before bf16: fp32), read strictly, errors naming the file and key.</summary>
    private static Precision RecordedPrecision(string path)
    {
        string? runJson = ModelFiles.Detect(path) switch
        {
            ModelFileKind.RunDirectory => Path.Combine(path, RunRecord.FileName),
            ModelFileKind.CheckpointDirectory => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, RunRecord.FileName),
            _ => null,
        };
        if (runJson is null || !File.Exists(runJson)) return Precision.Fp32;
        var root = StrictJson.ReadObject(runJson, RunRecord.FileName);
        try
        {
            if (!root.TryGetPropertyValue("options", out var options)) return Precision.Fp32;
            if (options is not JsonObject o) throw new ArgumentException("key 'options' must be an object");
            return o.TryGetPropertyValue("precision", out var value)
                ? (Precision)StrictJson.Read(value, typeof(Precision), nullable: false, "options.precision")!
                : Precision.Fp32;
        }
        catch (ArgumentException e) { throw new InvalidDataException($"{runJson}: {e.Message}"); }
    }

    private static void Print(OverlapResult result, string pathA, Precision precA, string pathB, Precision precB, SelectionOptions sel, bool json)
    {
        var t = result.Total;
        if (json)
        {
            var o = new JsonObject
            {
                ["a"] = pathA, ["precision_a"] = precA.Name(), ["b"] = pathB, ["precision_b"] = precB.Name(),
                ["strategy"] = sel.Strategy, ["batches"] = result.Batches.Count, ["tokens"] = t.Tokens,
                ["kept_a"] = t.KeptA, ["kept_b"] = t.KeptB, ["kept_both"] = t.KeptBoth,
                ["jaccard"] = Math.Round(t.Jaccard, 6), ["agreement"] = Math.Round(t.Agreement, 6),
                ["chance_jaccard"] = Math.Round(result.ChanceJaccard, 6),
                ["jaccard_per_batch"] = new JsonArray(result.Batches.Select(x => (JsonNode)Math.Round(x.Jaccard, 6)).ToArray()),
            };
            Console.WriteLine(o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return;
        }
        Console.WriteLine($"A {pathA} ({precA.Name()})  vs  B {pathB} ({precB.Name()}); {sel.Strategy}, {result.Batches.Count} batches, {t.Tokens:N0} tokens");
        Console.WriteLine($"  kept by A {t.KeptA:N0} ({(double)t.KeptA / t.Tokens:P1}), by B {t.KeptB:N0} ({(double)t.KeptB / t.Tokens:P1}), by both {t.KeptBoth:N0}");
        Console.WriteLine($"  Jaccard |A∩B|/|A∪B|  {t.Jaccard:F4}   (chance for independent masks of these sizes: {result.ChanceJaccard:F4})");
        Console.WriteLine($"  agreement            {t.Agreement:F4}   (fraction of tokens both keep or both drop)");
        var per = result.Batches.Select(x => x.Jaccard).ToArray();
        Console.WriteLine($"  per-batch Jaccard    min {per.Min():F4}  median {per.Order().ElementAt(per.Length / 2):F4}  max {per.Max():F4}");
    }
}
