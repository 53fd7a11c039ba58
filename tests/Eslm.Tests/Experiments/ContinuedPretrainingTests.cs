using System.Text.Json.Nodes;
using Eslm.Experiments;
using Eslm.Records;
using Eslm.Tests.Reference;
using Xunit;

namespace Eslm.Tests.Experiments;

/// <summary>
/// "base" in an experiment file (continued pretraining): each seed trains one plain run, every arm of that seed
/// continues it, and the budgets count the continuation alone.
/// </summary>
public class ContinuedPretrainingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("eslm-continued-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private const string Model = """{"preset": "tiny", "layers": 1, "heads": 2, "channels": 16, "context": 8, "vocab": 101}""";

    private static string Json(string basis = """ "base": {"train": {"steps": 4, "min_lr_fraction": 1}} """, string armTrain = "", string seeds = "[1, 2]") =>
        ExperimentAxesSpecTests.Spec($$""" "model": {{Model}}, "budget": {"steps": 2}, {{basis}} """,
                arms: $$"""[{"name": "clm", "strategy": "clm"{{armTrain}}}, {"name": "eslm", "strategy": "eslm", "alpha": 0.5}]""")
            .Replace("\"seeds\": [1]", "\"seeds\": " + seeds, StringComparison.Ordinal);

    private static ExperimentSpec Parse(string json) => ExperimentSpec.Parse((JsonObject)JsonNode.Parse(json)!);

    private static JsonObject RunJson(string dir) => (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "run.json")))!;

    [Fact]
    public void Every_seed_trains_its_base_once_and_every_arm_of_that_seed_continues_it()
    {
        Blas.Ensure();
        var spec = Parse(Json());
        Assert.Equal(4, spec.Base!.Train.Steps);
        var host = new TestHost();
        new ExperimentRunner(spec, _dir, host).Run();

        foreach (ulong seed in new ulong[] { 1, 2 })
        {
            string basis = BaseSpec.SeedDirectory(_dir, seed);
            string checkpoint = DoneMarker.Checkpoint(basis);
            Assert.EndsWith("step-00000004", checkpoint);
            Assert.Equal("experiment base", (string)RunJson(basis)["options"]!["command"]!);
            Assert.Equal(seed, (ulong)RunJson(basis)["options"]!["seed"]!);
            foreach (string arm in new[] { "clm", "eslm" })
            {
                string run = ExperimentRunner.SeedDirectory(_dir, arm, seed);
                Assert.Equal(checkpoint, (string)RunJson(run)["options"]!["experiment"]!["continues"]!);
                // its own two steps, counted from 0: the budget is the continuation's
                Assert.Equal([0, 1], MetricsLine.ReadFile(Path.Combine(run, "metrics.jsonl")).OfType<TrainMetrics>().Select(m => m.Step));
            }
        }
        Assert.Equal(2, host.Logs.Count(l => l.StartsWith("base seed", StringComparison.Ordinal) && l.Contains(" steps → ", StringComparison.Ordinal)));
        Assert.Contains("**Continued pretraining.** Each seed first trains plain (clm) for 4 steps", File.ReadAllText(Path.Combine(_dir, "report.md")));

        var inspect = Eslm.Tests.Cli.CliHarness.Run("inspect", _dir);
        Assert.Contains("base (4 steps of clm per seed, continued by every arm): seed1 trained, seed2 trained", inspect.Out);

        // Run again: nothing trains, not even a base.
        var again = new TestHost();
        new ExperimentRunner(spec, _dir, again).Run();
        Assert.DoesNotContain(again.Logs, l => l.Contains(" steps → ", StringComparison.Ordinal));
    }

    [Fact]
    public void A_base_without_its_checkpoint_is_trained_again_only_while_runs_need_it()
    {
        Blas.Ensure();
        var spec = Parse(Json(seeds: "[1]"));
        new ExperimentRunner(spec, _dir, new TestHost()).Run();
        string basis = BaseSpec.SeedDirectory(_dir, 1);
        foreach (string step in Directory.GetDirectories(basis, "step-*")) Directory.Delete(step, true); // a committed study on a fresh machine

        var finished = new TestHost();
        new ExperimentRunner(spec, _dir, finished).Run();
        Assert.False(Directory.Exists(Path.Combine(basis, ExperimentRunner.RebuiltFolder)));

        var more = Parse(Json(seeds: "[1]").Replace("""{"name": "eslm", """, """{"name": "random", "strategy": "random", "keep": 0.5}, {"name": "eslm", """, StringComparison.Ordinal));
        var host = new TestHost();
        new ExperimentRunner(more, _dir, host).Run();
        string rebuilt = DoneMarker.Checkpoint(Path.Combine(basis, ExperimentRunner.RebuiltFolder));
        Assert.Equal(rebuilt, (string)RunJson(ExperimentRunner.SeedDirectory(_dir, "random", 1))["options"]!["experiment"]!["continues"]!);
        Assert.Contains(host.Logs, l => l.Contains("is not on this machine", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(""" "base": {"train": {"lr": 0.001}} """, "\"base\" needs \"train\": {\"steps\": N")]
    [InlineData(""" "base": {} """, "\"base\" needs \"train\": {\"steps\": N")]
    [InlineData(""" "base": {"train": {"steps": 4, "seed": 3}} """, "key 'base.train.seed' cannot be set")]
    [InlineData(""" "base": {"train": {"steps": 4, "sampling": "shuffled"}} """, "arm clm reads on from the base run's data position")]
    [InlineData(""" "base": {"train": {"steps": -1}} """, "base: --steps must be >= 0 (got -1)")]
    [InlineData(""" "base": {"train": {"steps": 0}} """, "base.train.steps must be >= 1 (got 0)")]
    [InlineData(""" "base": {"train": {"steps": 4}, "model": "d6"} """, "base")]
    [InlineData(""" "base": [] """, "base")]
    public void A_bad_base_is_refused_naming_the_key(string basis, string expected)
    {
        var e = Assert.ThrowsAny<Exception>(() => Parse(Json(basis)));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void An_arm_cutting_other_windows_than_the_base_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => Parse(Json(armTrain: """, "train": {"batch": 1}""")));
        Assert.Contains("arm clm reads on from the base run's data position, so it needs the base's batch, seq, grad_accum and sampling (2, 8, 1, random; the arm has 1, 8, 1, random)", e.Message);
    }

    [Fact]
    public void With_several_models_each_model_trains_its_own_base_per_seed_in_its_folder()
    {
        Blas.Ensure();
        const string wide = """{"preset": "d2", "layers": 1, "heads": 2, "channels": 32, "context": 8, "vocab": 101}""";
        var spec = Parse(Json(seeds: "[1]").Replace($$""" "model": {{Model}}, """, $$""" "models": [{{Model}}, {{wide}}], """, StringComparison.Ordinal));
        var host = new TestHost();
        new ExperimentRunner(spec, _dir, host).Run();

        foreach (var point in spec.Points)
        {
            string basis = BaseSpec.SeedDirectory(_dir, spec, point, 1);
            Assert.Equal(Path.Combine(_dir, GridPoint.ModelFolder(point.ModelName), "base", "seed1"), basis);
            Assert.Equal(point.ModelName, (string)RunJson(basis)["options"]!["model"]!);
            foreach (string arm in new[] { "clm", "eslm" })
                Assert.Equal(DoneMarker.Checkpoint(basis), (string)RunJson(ExperimentRunner.SeedDirectory(_dir, point, arm, 1))["options"]!["experiment"]!["continues"]!);
        }
        Assert.False(Directory.Exists(Path.Combine(_dir, "base")));
        Assert.Equal(["tiny* base seed1", "d2* base seed1"],
            host.Logs.Where(l => l.Contains(" steps → ", StringComparison.Ordinal)).Select(l => l[..l.IndexOf(':')]));
        Assert.Contains("Each seed first trains each model plain (clm) for 4 steps", File.ReadAllText(Path.Combine(_dir, "report.md")));
        var inspect = Eslm.Tests.Cli.CliHarness.Run("inspect", _dir);
        Assert.Contains("base tiny* (4 steps of clm per seed, continued by every arm): seed1 trained", inspect.Out);
        Assert.Contains("base d2* (4 steps of clm per seed, continued by every arm): seed1 trained", inspect.Out);

        // A trained base inside a model folder counts as results: with every run's eval.json gone, changing the base is still refused.
        foreach (string eval in Directory.EnumerateFiles(_dir, ExperimentRunner.EvalFile, SearchOption.AllDirectories)) File.Delete(eval);
        string changed = Json(""" "base": {"train": {"steps": 5, "min_lr_fraction": 1}} """, seeds: "[1]")
            .Replace($$""" "model": {{Model}}, """, $$""" "models": [{{Model}}, {{wide}}], """, StringComparison.Ordinal);
        var e = Assert.Throws<InvalidOperationException>(() => new ExperimentRunner(Parse(changed), _dir, new TestHost()).Run());
        Assert.Contains("\"base\" changed", e.Message);
    }

    [Fact]
    public void A_folder_with_results_refuses_a_changed_added_or_removed_base()
    {
        Blas.Ensure();
        new ExperimentRunner(Parse(Json(seeds: "[1]")), _dir, new TestHost()).Run();
        foreach (var (json, word) in new[] { (Json(""" "base": {"train": {"steps": 5, "min_lr_fraction": 1}} """, seeds: "[1]"), "changed"), (Json(""" "description": "no base" """, seeds: "[1]"), "removed") })
        {
            var e = Assert.Throws<InvalidOperationException>(() => new ExperimentRunner(Parse(json), _dir, new TestHost()).Run());
            Assert.Contains($"\"base\" {word}", e.Message);
        }
        string plain = Path.Combine(_dir, "plain");
        new ExperimentRunner(Parse(Json(""" "description": "no base" """, seeds: "[1]")), plain, new TestHost()).Run();
        var added = Assert.Throws<InvalidOperationException>(() => new ExperimentRunner(Parse(Json(seeds: "[1]")), plain, new TestHost()).Run());
        Assert.Contains("trained without a base (\"base\" added)", added.Message);
        // a base that only validates more often trains the same runs: accepted
        new ExperimentRunner(Parse(Json(""" "base": {"train": {"steps": 4, "min_lr_fraction": 1, "val_every": 1}} """, seeds: "[1]")), _dir, new TestHost()).Run();
    }
}
