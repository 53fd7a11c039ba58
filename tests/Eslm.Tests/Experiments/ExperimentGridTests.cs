using System.Text.Json.Nodes;
using Eslm.Experiments;
using Eslm.Reporting;
using Eslm.Tests.Cli;
using Eslm.Tests.Data;
using Eslm.Tests.Reference;
using Eslm.IO;
using Xunit;

namespace Eslm.Tests.Experiments;

/// <summary>Issue 14: budgets and models as axes, seeds with intervals, the trend report, and the reference's loss sidecar.</summary>
public class ExperimentGridTests : DataTestBase
{
    private const string Model = """{"preset": "tiny", "layers": 1, "heads": 2, "channels": 16, "context": 8, "vocab": 101}""";
    private const string Wide = """{"preset": "tiny", "layers": 1, "heads": 2, "channels": 32, "context": 8, "vocab": 101}""";

    private static ExperimentSpec Parse(string json) => ExperimentSpec.Parse((JsonObject)JsonNode.Parse(json)!);

    private static string Grid(string axes, string seeds = "[1, 2]") => $$"""
        {
          "name": "grid", {{axes}},
          "train": {"batch": 2, "seq": 8, "steps": 3, "lr": 0.01, "warmup": 1},
          "data": "noisy", "seeds": {{seeds}}, "val_every": 2, "val_batches": 1, "checkpoint_every": 2,
          "eval": [{"name": "noisy", "data": "noisy", "domain": "in"}, {"name": "clean", "data": "clean", "domain": "out"}],
          "arms": [{"name": "clm", "strategy": "clm"}, {"name": "eslm", "strategy": "eslm", "alpha": 0.5}]
        }
        """;

    [Fact]
    public void Budgets_make_one_point_each_with_a_schedule_stretched_in_proportion_and_its_own_folder()
    {
        var spec = Parse(Grid($$""" "model": {{Model}}, "budgets": [{"flops_accounted": 1e6}, {"flops_accounted": 2.8e6}, {"flops_accounted": 8e6}] """));
        Assert.Equal([3, 8, 24], spec.Points.Select(p => p.NominalSteps));
        Assert.Equal(["budget-1e6", "budget-2.8e6", "budget-8e6"], spec.Points.Select(p => p.Folder));
        Assert.Equal(Path.Combine("r", "budget-2.8e6", "eslm", "seed2"), ExperimentRunner.SeedDirectory("r", spec.Points[1], "eslm", 2));
        var steps = Parse(Grid($$""" "model": {{Model}}, "budgets": [{"steps": 2}, {"steps": 5}] """));
        Assert.Equal([2, 5], steps.Points.Select(p => p.NominalSteps));
        Assert.Equal([2, 5], steps.Points.Select(p => p.MaxSteps));
    }

    [Theory]
    [InlineData(40, "40")]
    [InlineData(0.5, "0.5")]
    [InlineData(8.16e11, "8.16e11")]
    [InlineData(1.3459e13, "1.3459e13")]
    [InlineData(1.23456789e12, "1.23456789e12")]
    [InlineData(1e15, "1e15")]
    public void Budgets_are_written_exactly_as_people_write_them(double value, string text) => Assert.Equal(text, Budget.Format(value));

    [Fact]
    public void A_plain_experiment_keeps_its_old_layout()
    {
        var spec = Parse(Grid($$""" "model": {{Model}}, "budget": {"steps": 2} """));
        Assert.Single(spec.Points);
        Assert.Equal("", spec.Points[0].Folder);
        Assert.Equal(ExperimentRunner.SeedDirectory("r", "clm", 1), ExperimentRunner.SeedDirectory("r", spec.Points[0], "clm", 1));
    }

    [Fact]
    public void Models_may_carry_their_own_budgets_and_get_a_folder_each()
    {
        var spec = Parse(Grid($$"""
            "models": [{"model": {{Model}}, "budgets": [{"steps": 2}, {"steps": 4}]}, {"model": "d2", "budgets": [{"steps": 3}]}]
            """));
        Assert.Equal(3, spec.Points.Count);
        Assert.Equal(Path.Combine("tiny-custom", "budget-4"), spec.Points[1].Folder);
        Assert.Equal(Path.Combine("d2", "budget-3"), spec.Points[2].Folder);
    }

    [Theory]
    [InlineData("\"model\": \"tiny\", \"budget\": {\"steps\": 2}, \"budgets\": [{\"steps\": 3}]", "not both")]
    [InlineData("\"model\": \"tiny\", \"budgets\": [{\"steps\": 3}, {\"flops_accounted\": 1e9}]", "one kind")]
    [InlineData("\"model\": \"tiny\", \"budgets\": [{\"steps\": 3}, {\"steps\": 3}]", "must increase")]
    [InlineData("\"model\": \"tiny\", \"budgets\": []", "non-empty list")]
    [InlineData("\"models\": [\"tiny\", \"tiny\"], \"budget\": {\"steps\": 2}", "twice")]
    [InlineData("\"model\": \"tiny\", \"models\": [\"d2\"], \"budget\": {\"steps\": 2}", "not both")]
    [InlineData("\"models\": [{\"model\": \"tiny\"}]", "needs \"budget\"")]
    public void Nonsense_grids_are_refused_with_the_reason(string axes, string reason)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => Parse(Grid(axes)));
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void A_grid_of_two_models_two_budgets_and_two_seeds_reports_intervals_verdicts_and_trend_plots()
    {
        Blas.Ensure();
        var spec = Parse(Grid($$""" "models": [{{Model}}, {{Wide}}], "budgets": [{"steps": 2}, {"steps": 4}] """.Replace("\"tiny\", \"layers\": 1, \"heads\": 2, \"channels\": 32", "\"d2\", \"layers\": 1, \"heads\": 2, \"channels\": 32")));
        string root = Path.Combine(Dir, "runs");
        string report = new ExperimentRunner(spec, root, new TestHost()).Run();
        foreach (var point in spec.Points)
            foreach (var arm in new[] { "clm", "eslm" })
                foreach (ulong seed in new ulong[] { 1, 2 })
                    Assert.True(File.Exists(Path.Combine(ExperimentRunner.SeedDirectory(root, point, arm, seed), ExperimentRunner.EvalFile)), $"{point.Folder} {arm} {seed}");
        string md = File.ReadAllText(report);
        Assert.Contains("## Trend", md);
        Assert.Contains("95% confidence interval", md);
        Assert.Contains(" ± ", md);
        Assert.Matches(@"\| eslm \| 4 \| [+-]\d\.\d{4} ± \d\.\d{4}", md); // a paired Δ with its interval in the verdict table
        Assert.Matches(@"(\*\*better\*\*|worse|n\.d\.) / ", md);
        foreach (var model in new[] { "tiny-custom", "d2-custom" })
            foreach (var set in new[] { "noisy", "clean" })
                foreach (var axis in new[] { "budget", "wall" })
                {
                    string file = $"trend_{model}_{set}_{axis}.png";
                    Assert.Contains($"plots/{file}", md);
                    Assert.True(new FileInfo(Path.Combine(root, ExperimentReport.PlotFolder, file)).Length > 2000, file);
                }
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(root, SummaryJson.FileName)))!;
        Assert.Equal(4, summary["points"]!.AsArray().Count);
        var eslm = summary["points"]![3]!["arms"]![1]!;
        Assert.Equal(2, (int)eslm["seeds_finished"]!);
        Assert.NotNull(eslm["delta_vs_clm"]!["val_loss__in_"]!["ci95"]);
        // issue 23: the compute-equivalent multipliers, in summary.json, the verdict table and a plot per model
        foreach (string key in new[] { "compute_multiplier", "wall_multiplier" })
        {
            var m = eslm[key]!.AsObject();
            Assert.Equal(["mean", "low", "high", "n", "bound"], m.Select(p => p.Key));
            Assert.Equal(2, (int)m["n"]!);
            Assert.True((double)m["mean"]! > 0);
        }
        Assert.Null(summary["points"]![3]!["arms"]![0]!["compute_multiplier"]); // none for the baseline itself
        Assert.Contains("| compute × | wall-clock × |", md);
        Assert.Matches(@"(?m)\| eslm \| 4 \|.*\| (mixed|([<>] )?\d+\.\d+×[^|]*) \| (mixed|([<>] )?\d+\.\d+×[^|]*) \|$", md);
        // a plot per model, unless every point's figure is "mixed" (nothing to draw); which one is depends on the CPU's kernels
        for (int m = 0; m < 2; m++)
        {
            string plot = Path.Combine(root, ExperimentReport.PlotFolder, $"multiplier_{(m == 0 ? "tiny" : "d2")}-custom.png");
            bool drawable = summary["points"]!.AsArray().Skip(2 * m).Take(2).Any(p => (string?)p!["arms"]![1]!["compute_multiplier"]!["bound"] != "mixed");
            Assert.Equal(drawable, File.Exists(plot));
            if (drawable) Assert.True(new FileInfo(plot).Length > 2000, plot);
        }
        // the run re-reads as finished, and a rebuilt report is the same apart from its time stamp
        Assert.Equal(md.Split("_Rebuild")[0], File.ReadAllText(ExperimentReport.Write(root)).Split("_Rebuild")[0]);
    }

    [Fact]
    public void A_model_filter_runs_only_that_models_points_and_an_unknown_model_is_refused()
    {
        Blas.Ensure();
        var spec = Parse(Grid($$""" "models": [{{Model}}, "d2"], "budget": {"steps": 2} """, seeds: "[1]"));
        string root = Path.Combine(Dir, "runs");
        new ExperimentRunner(spec, root, new TestHost(), ["tiny*"]).Run();
        Assert.True(File.Exists(Path.Combine(ExperimentRunner.SeedDirectory(root, spec.Points[0], "clm", 1), ExperimentRunner.EvalFile)));
        Assert.False(Directory.Exists(Path.Combine(root, "d2", "clm")));
        var e = Assert.Throws<ArgumentException>(() => new ExperimentRunner(spec, root, new TestHost(), ["d6"]).Run());
        Assert.Contains("no model 'd6'", e.Message);
    }

    [Fact]
    public void Workers_skip_the_runs_another_worker_has_claimed_and_a_later_worker_finishes_them()
    {
        Blas.Ensure();
        var spec = Parse(Grid($$""" "model": {{Model}}, "budget": {"steps": 2} """, seeds: "[1]"));
        string root = Path.Combine(Dir, "runs");
        string eslm = ExperimentRunner.SeedDirectory(root, spec.Points[0], "eslm", 1);
        Directory.CreateDirectory(Path.GetDirectoryName(eslm)!);
        using (RunLock.AcquireFile(eslm)) // another worker is on eslm/seed1
        {
            var host = new TestHost();
            new ExperimentRunner(spec, root, host, worker: true).Run();
            Assert.True(File.Exists(Path.Combine(ExperimentRunner.SeedDirectory(root, spec.Points[0], "clm", 1), ExperimentRunner.EvalFile)));
            Assert.False(File.Exists(Path.Combine(eslm, ExperimentRunner.EvalFile)));
            Assert.Contains(host.Logs, l => l.Contains("another worker is running it"));
        }
        new ExperimentRunner(spec, root, new TestHost(), worker: true).Run();
        Assert.True(File.Exists(Path.Combine(eslm, ExperimentRunner.EvalFile)));
        // An ordinary run holding the experiment keeps workers out.
        using var ordinary = RunLock.AcquireFolder(root);
        Assert.Throws<IOException>(() => new ExperimentRunner(spec, root, new TestHost(), worker: true).Run());
    }

    [Fact]
    public void Changing_a_budget_that_has_results_is_refused_but_adding_one_is_fine()
    {
        Blas.Ensure();
        string root = Path.Combine(Dir, "runs");
        var first = Parse(Grid($$""" "model": {{Model}}, "budgets": [{"flops_accounted": 1e6}] """, seeds: "[1]"));
        new ExperimentRunner(first with { Arms = [first.Arms[0]] }, root, new TestHost()).Run();
        // Adding a larger budget is fine (its schedule is stretched from the same first budget).
        var grown = Parse(Grid($$""" "model": {{Model}}, "budgets": [{"flops_accounted": 1e6}, {"flops_accounted": 1.5e6}] """, seeds: "[1]"));
        new ExperimentRunner(grown with { Arms = [grown.Arms[0]] }, root, new TestHost()).Run();
        // A smaller first budget would silently change the schedule of the finished ones.
        var shifted = Parse(Grid($$""" "model": {{Model}}, "budgets": [{"flops_accounted": 5e5}, {"flops_accounted": 1e6}] """, seeds: "[1]"));
        var e = Assert.Throws<InvalidOperationException>(() => new ExperimentRunner(shifted with { Arms = [shifted.Arms[0]] }, root, new TestHost()).Run());
        Assert.Contains("budget-1e6", e.Message);
    }

    [Fact]
    public void A_flops_budget_beyond_the_step_cap_is_refused_before_training_and_an_unmet_one_fails_without_a_result()
    {
        Blas.Ensure();
        string far = Path.Combine(Dir, "far");
        var accounted = Parse(Grid($$""" "model": {{Model}}, "budgets": [{"flops_accounted": 1e12}] """, seeds: "[1]"));
        var e = Assert.Throws<ArgumentException>(() => new ExperimentRunner(accounted, far, new TestHost()).Run());
        Assert.Contains("cannot spend it within its step cap", e.Message);
        Assert.False(Directory.Exists(ExperimentRunner.SeedDirectory(far, accounted.Points[0], "clm", 1)));
        // Executed FLOPs cannot be foreseen: the run stops at its cap and fails, with no eval.json for the report.
        string root = Path.Combine(Dir, "executed");
        var executed = Parse(Grid($$""" "model": {{Model}}, "budgets": [{"flops_executed": 1e12}] """, seeds: "[1]"));
        var unmet = Assert.Throws<InvalidOperationException>(() => new ExperimentRunner(executed with { Arms = [executed.Arms[0]] }, root, new TestHost()).Run());
        Assert.Contains("stopped at its step cap (60 steps", unmet.Message);
        Assert.False(File.Exists(Path.Combine(ExperimentRunner.SeedDirectory(root, executed.Points[0], "clm", 1), ExperimentRunner.EvalFile)));
    }

    [Fact]
    public void Changing_the_eval_sets_of_finished_runs_is_refused()
    {
        Blas.Ensure();
        string root = Path.Combine(Dir, "eval-changed");
        var first = Parse(Grid($$""" "model": {{Model}}, "budget": {"steps": 2} """, seeds: "[1]"));
        new ExperimentRunner(first with { Arms = [first.Arms[0]] }, root, new TestHost()).Run();
        // The same name measured on other data: the report would average the two as one set.
        var other = Parse(Grid($$""" "model": {{Model}}, "budget": {"steps": 2} """, seeds: "[1, 2]")
            .Replace("\"name\": \"clean\", \"data\": \"clean\"", "\"name\": \"clean\", \"data\": \"noisy\"", StringComparison.Ordinal));
        var e = Assert.Throws<InvalidOperationException>(() => new ExperimentRunner(other with { Arms = [other.Arms[0]] }, root, new TestHost()).Run());
        Assert.Contains("eval changed", e.Message);
    }

    [Fact]
    public void Rho1_arms_naming_the_reference_losses_train_on_its_sidecar_of_the_training_split()
    {
        string data = Path.Combine(Dir, "data");
        Prepare(data, [JsonlCorpus("corpus.jsonl", 60)]);
        string file = Write("exp.json", $$"""
            {
              "name": "side", "model": {"preset": "tiny", "layers": 1, "heads": 2, "channels": 16, "context": 16},
              "train": {"batch": 2, "seq": 16, "steps": 2, "lr": 0.01, "warmup": 1}, "data": "{{data}}", "budget": {"steps": 2},
              "val_every": 0, "val_batches": 0, "checkpoint_every": 2,
              "reference": {"data": "{{data}}", "train": {"steps": 2} },
              "arms": [{"name": "rho1", "strategy": "rho1", "keep": 0.5, "reference_losses": "@reference"}]
            }
            """);
        string root = Path.Combine(Dir, "runs");
        var r = CliHarness.Run("experiment", "run", file, "--out", root, "--threads", "1");
        Assert.True(r.Code == 0, r.Err);
        string sidecar = Path.Combine(root, "reference", ExperimentRunner.ReferenceLossesFile);
        Assert.True(File.Exists(sidecar));
        string runJson = Directory.GetFiles(root, "run.json", SearchOption.AllDirectories).Single(f => f.Contains("rho1"));
        Assert.Contains($"\"reference_losses\": \"{Path.GetFullPath(sidecar)}\"", File.ReadAllText(runJson));
    }
}
