using System.Text.Json.Nodes;
using Eslm.Checkpoints;
using Eslm.Evaluation;
using Eslm.Experiments;
using Eslm.Model;
using Eslm.Reporting;
using Eslm.Tensors;
using Eslm.Tests.Reference;
using Eslm.Tests.Training;
using Eslm.Training;
using Xunit;
using Eslm.Data;

namespace Eslm.Tests.Experiments;

/// <summary>Random-token data, a character "tokenizer" and checkpoint loading: enough to run experiments in a test.</summary>
internal sealed class TestHost : IExperimentHost
{
    public List<string> Logs { get; } = new();
    public Action<string, double, StepResult>? OnProgress { get; set; }

    /// <summary>The samplings the runner asked for, in order (a test checks train.sampling reaches the data).</summary>
    public List<SamplingMode> Samplings { get; } = new();

    public IBatchSource OpenTrain(string data, int batchSize, int sequenceLength, ulong seed, SamplingMode sampling)
    {
        Samplings.Add(sampling);
        return new RandomTokenSource(batchSize, sequenceLength, TrainerHarness.Tiny.VocabSize, seed);
    }

    public Func<IBatchSource>? OpenValidation(string data, int batchSize, int sequenceLength, int batches) =>
        () => new RandomTokenSource(batchSize, sequenceLength, TrainerHarness.Tiny.VocabSize, 999);

    public EvalCorpus OpenEvalCorpus(string data)
    {
        var rng = new Rng(data == "clean" ? 1UL : 2UL);
        var tokens = Enumerable.Range(0, 200).Select(_ => rng.NextInt(TrainerHarness.Tiny.VocabSize)).ToArray();
        return new EvalCorpus(data, tokens, [new(0, 80, "a", 300), new(80, 70, "b", 250), new(150, 50, "a", 200)]);
    }

    public int[] Encode(string text) => text.Select(c => c % 100 + 1).ToArray();

    public Gpt LoadModel(string path) => Checkpoint.LoadModel(Checkpoint.FindLatestComplete(path) ?? path);

    public string WriteReport(string directory) => ExperimentReport.Write(directory);

    public void Log(string message) => Logs.Add(message);

    public void Progress(string arm, double fraction, StepResult step) => OnProgress?.Invoke(arm, fraction, step);
}

public class ExperimentTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("eslm-experiment-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private string Spec(string budget, int steps = 6)
    {
        File.WriteAllText(Path.Combine(_dir, "mc.jsonl"), """
            {"ctx": "the cat", "endings": [" sat", " ran far", " is", " was"], "label": 0}
            {"ctx": "a dog", "endings": [" barked", " sat", " slept", " ate"], "label": 2}
            """);
        File.WriteAllText(Path.Combine(_dir, "cloze.jsonl"), """
            {"context": "one two three one two", "target": " three"}
            """);
        string path = Path.Combine(_dir, "exp.json");
        File.WriteAllText(path, $$"""
            {
              "name": "tiny-test",
              "model": {"preset": "tiny", "layers": 2, "heads": 2, "channels": 32, "context": 16, "vocab": 101},
              "train": {"batch": 4, "seq": 16, "steps": {{steps}}, "lr": 0.001, "warmup": 1},
              "data": "noisy",
              "budget": {{budget}},
              "seeds": [1],
              "val_every": 2, "val_batches": 2, "checkpoint_every": 2,
              "eval": [{"name": "noisy", "data": "noisy", "domain": "in"}, {"name": "clean", "data": "clean", "domain": "out"}],
              "tasks": [{"task": "hellaswag", "file": "{{Path.Combine(_dir, "mc.jsonl")}}"}, {"task": "cloze", "file": "{{Path.Combine(_dir, "cloze.jsonl")}}"}],
              "arms": [
                {"name": "clm", "strategy": "clm"},
                {"name": "eslm-loss", "strategy": "eslm", "alpha": 0.5, "score": "loss"},
                {"name": "random", "strategy": "random", "keep": 0.5}
              ]
            }
            """);
        return path;
    }

    [Fact]
    public void A_tiny_experiment_writes_the_report_and_every_plot_is_a_non_empty_png()
    {
        Blas.Ensure();
        var spec = ExperimentSpec.Load(Spec("""{"steps": 4}"""));
        string root = Path.Combine(_dir, "runs", spec.Name);
        string report = new ExperimentRunner(spec, root, new TestHost()).Run();

        string md = File.ReadAllText(report);
        foreach (var arm in new[] { "clm", "eslm-loss", "random" }) Assert.Contains($"**{arm}**", md);
        Assert.Contains("Δ val loss (in) vs clm", md);
        Assert.Contains("acc_norm", md);
        foreach (var file in ExperimentReport.PlotFiles)
        {
            var bytes = File.ReadAllBytes(Path.Combine(root, ExperimentReport.PlotFolder, file));
            Assert.True(bytes.Length > 2000, $"{file} is only {bytes.Length} bytes");
            Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
            Assert.Contains($"plots/{file}", md);
        }
        var eval = JsonNode.Parse(File.ReadAllText(Path.Combine(root, "eslm-loss", "seed1", ExperimentRunner.EvalFile)))!;
        Assert.Equal(2, eval["eval"]!.AsArray().Count);
        Assert.True(File.Exists(Path.Combine(root, "eslm-loss", "seed1", TrainingRun.MetricsFile)));

        // The report rebuilds from the directory alone, identically apart from its time stamp.
        File.Delete(report);
        string again = ExperimentReport.Write(root);
        Assert.Equal(md.Split("_Rebuild")[0], File.ReadAllText(again).Split("_Rebuild")[0]);
    }

    [Fact]
    public void A_task_whose_text_encodes_past_the_models_vocabulary_is_refused_before_any_training()
    {
        string path = Spec("""{"steps": 4}""");
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"vocab\": 101", "\"vocab\": 90"));
        var spec = ExperimentSpec.Load(path);
        string root = Path.Combine(_dir, "runs", spec.Name);
        var e = Assert.Throws<InvalidDataException>(() => new ExperimentRunner(spec, root, new TestHost()).Run());
        Assert.Equal($"{Path.Combine(_dir, "mc.jsonl")}: the hellaswag task's text encodes to token id 100, outside model tiny*'s vocabulary of 90", e.Message);
        Assert.False(Directory.Exists(root));
    }

    [Fact]
    public void The_train_sampling_of_an_experiment_reaches_every_runs_data_and_its_run_json()
    {
        Blas.Ensure();
        string path = Spec("""{"steps": 2}""", steps: 2);
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"warmup\": 1}", "\"warmup\": 1, \"sampling\": \"sequential\"}"));
        var spec = ExperimentSpec.Load(path) with { Eval = [], Tasks = [] };
        string root = Path.Combine(_dir, "runs", spec.Name);
        var host = new TestHost();
        new ExperimentRunner(spec, root, host).Run();
        Assert.Equal(Enumerable.Repeat(SamplingMode.Sequential, 3), host.Samplings); // one stream per arm
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(root, "random", "seed1", TrainingRun.ConfigFile)))!;
        Assert.Equal("sequential", (string?)run["options"]!["sampling"]);
    }

    /// <summary>Issue 22: an arm's run.json is the record `eslm train` writes (same keys, same order), plus where it sits in the experiment.</summary>
    [Fact]
    public void An_arms_run_json_has_exactly_the_shape_train_writes_and_reads_back_as_the_arms_options()
    {
        Blas.Ensure();
        var spec = ExperimentSpec.Load(Spec("""{"steps": 2}""", steps: 2)) is var s ? s with { Arms = [s.Arms[0]], Eval = [], Tasks = [] } : null!;
        string root = Path.Combine(_dir, "runs", spec.Name);
        new ExperimentRunner(spec, root, new TestHost()).Run();
        string armRun = Path.Combine(root, "clm", "seed1", TrainingRun.ConfigFile);
        var r = Eslm.Tests.Cli.CliHarness.Run("train", "--model", "tiny", "--data", "random:50257", "--batch", "1", "--seq", "8", "--steps", "1",
            "--strategy", "clm", "--val-batches", "0", "--threads", "1", "--out", Path.Combine(_dir, "train"));
        Assert.True(r.Code == 0, r.Err);
        var (arm, train) = (JsonNode.Parse(File.ReadAllText(armRun))!, JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "train", TrainingRun.ConfigFile)))!);
        IEnumerable<string> Keys(JsonNode n) => n.AsObject().Select(p => p.Key);
        Assert.Equal(Keys(train), Keys(arm));
        Assert.Equal(Keys(train["options"]!), Keys(arm["options"]!));
        Assert.Equal(Keys(train["options"]!["selection"]!), Keys(arm["options"]!["selection"]!));
        Assert.Equal("clm", (string?)arm["options"]!["experiment"]!["arm"]);
        var record = RunRecord.Read(armRun);
        Assert.Equal(spec.Arms[0].Train with { Seed = 1 }, record.Train);
    }

    [Fact]
    public void A_killed_experiment_resumes_without_redoing_finished_arms()
    {
        Blas.Ensure();
        var spec = ExperimentSpec.Load(Spec("""{"steps": 6}"""));
        string root = Path.Combine(_dir, "runs", spec.Name);
        var host = new TestHost();
        using var cancel = new CancellationTokenSource();
        host.OnProgress = (arm, _, step) => { if (arm == "eslm-loss" && step.Step == 2) cancel.Cancel(); }; // after its step-2 checkpoint... and one more step
        Assert.ThrowsAny<OperationCanceledException>(() => new ExperimentRunner(spec, root, host).Run(cancel.Token));
        string clmEval = Path.Combine(root, "clm", "seed1", ExperimentRunner.EvalFile);
        Assert.True(File.Exists(clmEval));
        var clmTime = File.GetLastWriteTimeUtc(clmEval);
        Assert.False(File.Exists(Path.Combine(root, "eslm-loss", "seed1", ExperimentRunner.EvalFile)));

        var again = new TestHost();
        var runner = new ExperimentRunner(spec, root, again);
        runner.Run();
        Assert.Equal(new[] { "eslm-loss", "random" }, runner.Trained);
        Assert.Equal(clmTime, File.GetLastWriteTimeUtc(clmEval));
        // The second sitting numbers the two runs it found unfinished and says how much is left after each.
        Assert.Contains(again.Logs, l => l.StartsWith("[1/2] eslm-loss: eslm,", StringComparison.Ordinal));
        Assert.Contains(again.Logs, l => l.StartsWith("[2/2] random: random,", StringComparison.Ordinal));
        Assert.Contains(again.Logs, l => l.StartsWith("sitting: 1 run trained in ", StringComparison.Ordinal) && l.Contains(", 1 left; about "));
        Assert.Contains(again.Logs, l => l == "clm: finished earlier, kept");
        var steps = File.ReadLines(Path.Combine(root, "eslm-loss", "seed1", TrainingRun.MetricsFile))
            .Select(l => JsonNode.Parse(l)!).Where(n => (string?)n["type"] == "train").Select(n => (int)n["step"]!).ToList();
        Assert.Equal(Enumerable.Range(0, 6), steps);
    }

    [Fact]
    public void A_flops_budget_stops_every_arm_once_its_accounted_total_reaches_the_budget()
    {
        Blas.Ensure();
        long n = new GptConfig { Layers = 2, Heads = 2, Channels = 32, MaxSequenceLength = 16, VocabSize = 101 }.ParameterCount;
        double perClmStep = 6.0 * n * 4 * 16;
        var spec = ExperimentSpec.Load(Spec($$"""{"flops_accounted": {{4 * perClmStep}}}""", steps: 4)) with { Tasks = [], Eval = [] };
        string root = Path.Combine(_dir, "runs", spec.Name);
        new ExperimentRunner(spec, root, new TestHost()).Run();
        var runs = ExperimentReport.ReadRuns(root, spec);
        var clm = runs.Single(r => r.Arm == "clm");
        var eslm = runs.Single(r => r.Arm == "eslm-loss");
        Assert.Equal(4, clm.Train.Count);
        Assert.True(eslm.Train.Count > clm.Train.Count, $"eslm took {eslm.Train.Count} steps");
        foreach (var r in runs)
        {
            double total = r.Train[^1].TotalFlopsAccounted, before = r.Train[^2].TotalFlopsAccounted;
            Assert.True(total >= 4 * perClmStep * 0.999999 && before < 4 * perClmStep, $"{r.Arm}: {before} → {total}");
        }
    }
}
