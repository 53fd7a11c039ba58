using System.Globalization;
using System.Text.Json.Nodes;
using Eslm.Experiments;
using Eslm.Reporting;
using Eslm.Records;
using Eslm.Tests.Data;
using Eslm.Tests.Reference;
using Eslm.Tensors;
using Xunit;

namespace Eslm.Tests.Experiments;

/// <summary>Issue 23 items 2 and 3: running, resuming and reporting "baseline_budgets" and "lrs" experiments.</summary>
public class ExperimentAxesRunTests : DataTestBase
{
    private const string Model = """{"preset": "tiny", "layers": 1, "heads": 2, "channels": 16, "context": 8, "vocab": 101}""";

    private static ExperimentSpec Parse(string json) => ExperimentSpec.Parse((JsonObject)JsonNode.Parse(json)!);

    private static string N(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>
    /// A finished run by hand: two train lines ending at <paramref name="flops"/> (and as many seconds / 1e6), two periodic
    /// validations (the first <paramref name="firstSample"/>, the last <paramref name="sample"/>) and the whole-split loss.
    /// </summary>
    private static void FakeRun(string root, GridPoint point, string arm, double rate, double flops, double firstSample, double sample, double eval)
    {
        string dir = ExperimentRunner.SeedDirectory(root, point, arm, 1, rate);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, MetricsLine.FileName),
            $$"""{"type": "train", "step": 0, "loss": 7, "kept_fraction": 1, "total_flops_accounted": {{N(flops / 2)}}, "total_seconds": {{N(flops / 2e6)}}}""" + "\n" +
            $$"""{"type": "val", "step": 1, "val_loss": {{N(firstSample)}}, "val_tokens": 16, "total_flops_accounted": {{N(flops / 2)}}, "total_seconds": {{N(flops / 2e6)}}}""" + "\n" +
            $$"""{"type": "train", "step": 1, "loss": 6, "kept_fraction": 1, "total_flops_accounted": {{N(flops)}}, "total_seconds": {{N(flops / 1e6)}}}""" + "\n" +
            $$"""{"type": "val", "step": 2, "val_loss": {{N(sample)}}, "val_tokens": 16, "total_flops_accounted": {{N(flops)}}, "total_seconds": {{N(flops / 1e6)}}}""" + "\n");
        File.WriteAllText(Path.Combine(dir, ExperimentRunner.EvalFile), $$"""
            {"checkpoint": "x", "eval": [{"name": "noisy", "data": "noisy", "domain": "in", "loss": {{N(eval)}}, "ppl": {{N(Math.Exp(eval))}}, "tokens": 100, "domains": []}], "tasks": []}
            """);
    }

    [Fact]
    public void Best_rates_are_chosen_on_the_last_periodic_validation_and_the_multiplier_compares_best_against_best_on_the_extra_baseline_points()
    {
        string json = ExperimentAxesSpecTests.Spec($$""" "model": {{Model}}, "budgets": [{"steps": 4}], "baseline_budgets": [{"steps": 8}, {"steps": 2}], "lrs": [0.01, 0.02] """);
        var spec = Parse(json);
        string root = Path.Combine(Dir, "runs");
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, ExperimentRunner.SpecFile), json);
        var (p2, p4, p8) = (spec.Points[0], spec.Points[1], spec.Points[2]);
        // The first validation reverses every order (a choice on it, or on the minimum, would pick the other rate), and the
        // whole-split losses of the losing rates are the lowest (a choice on them would pick the other rate too).
        FakeRun(root, p2, "clm", 0.01, 2e6, 4.0, 6.1, 6.0);
        FakeRun(root, p2, "clm", 0.02, 2e6, 3.0, 6.3, 5.0);
        FakeRun(root, p4, "clm", 0.01, 4e6, 3.0, 5.6, 5.0);
        FakeRun(root, p4, "clm", 0.02, 4e6, 4.0, 5.4, 5.4);
        FakeRun(root, p8, "clm", 0.01, 8e6, 4.0, 5.0, 5.0);
        FakeRun(root, p8, "clm", 0.02, 8e6, 3.0, 5.2, 4.0);
        FakeRun(root, p4, "eslm", 0.01, 4e6, 4.0, 5.3, 5.25);
        FakeRun(root, p4, "eslm", 0.02, 4e6, 3.0, 5.9, 4.5);
        var all = RunLog.ReadAll(root, spec);
        Assert.Equal(8, all.Count);
        Assert.Equal(0.02, LearningRates.Best(spec, all, p4, "clm"));
        Assert.Equal(0.01, LearningRates.Best(spec, all, p4, "eslm"));
        Assert.Equal(0.01, LearningRates.Best(spec, all, p8, "clm"));

        string md = File.ReadAllText(ExperimentReport.Write(root));
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(root, SummaryJson.FileName)))!;
        // clm's frontier at its best rates: (2e6, 6.0), (4e6, 5.4), (8e6, 5.0); eslm's best-rate loss 5.25 lies 3/8 of the
        // way from 5.4 to 5.0, so clm needs 4e6 · 2^0.375 FLOPs: a multiplier of 2^0.375 = 1.2968 (without the baseline-only
        // point at 8e6 it would be a bound "> 1×"; at the rates chosen on whole-split losses, 5.0 vs clm's 4.0 … 5.0).
        var points = summary["points"]!.AsArray();
        Assert.Equal([true, null, true], points.Select(p => (bool?)p!["baseline_only"]));
        Assert.Equal(["clm"], points[0]!["arms"]!.AsArray().Select(a => (string)a!["arm"]!));
        var eslm = points[1]!["arms"]![1]!;
        var m = eslm["compute_multiplier"]!;
        Assert.Null(m["bound"]);
        Assert.Equal(Math.Pow(2, 0.375), (double)m["mean"]!, 1e-5);
        Assert.Equal(Math.Pow(2, 0.375), (double)eslm["wall_multiplier"]!["mean"]!, 1e-5); // seconds ∝ FLOPs here
        Assert.Equal(-0.15, (double)eslm["delta_vs_clm"]!["val_loss__in_"]!["mean"]!, 1e-9); // 5.25 − 5.4: best against best
        var rates = eslm["learning_rates"]!;
        Assert.Equal([0.01, 0.02], rates["rates"]!.AsArray().Select(r => (double)r!));
        Assert.Equal([5.3, 5.9], rates["losses"]!.AsArray().Select(r => (double)r!));
        Assert.Equal(0.01, (double)rates["best"]!);
        Assert.Equal(0.02, (double)points[1]!["arms"]![0]!["learning_rates"]!["best"]!);
        Assert.Equal(0.01, (double)points[2]!["arms"]![0]!["learning_rates"]!["best"]!);
        Assert.Contains("last periodic validation loss", (string)summary["best_rate_chosen_on"]!);

        Assert.Contains("## Learning rates", md);
        Assert.Contains("last periodic validation loss", md);
        Assert.Matches(@"\| tiny\*, steps 4 \| eslm \| \*\*5\.3000\*\* ✓ \| 5\.9000 \| 0\.01 \|", md);
        Assert.Matches(@"\| tiny\*, steps 8 \(baseline only\) \| clm \| \*\*5\.0000\*\* ✓ \| 5\.2000 \| 0\.01 \|", md);
        Assert.Contains("| eslm | 4 | -0.1500", md);
        Assert.Contains("1.30×", md);
        Assert.DoesNotContain("| eslm | 8 |", md); // no verdict row where eslm did not run
        Assert.Contains("Baseline-only budgets (clm alone, extra points of its frontier for the multipliers): 2 (in-domain loss 6.0000), 8 (in-domain loss 5.0000).", md);
        Assert.Contains("## tiny*, steps 8 (baseline only", md);
        Assert.Contains("| **eslm** | eslm loss α=0.5, lr 0.01 |", md); // the per-point tables name the best rate they show
        Assert.DoesNotContain("not started", md); // eslm is not expected at the baseline-only points
    }

    [Fact]
    public void A_partly_run_experiment_with_rates_and_baseline_budgets_resumes_where_it_stopped()
    {
        Blas.Ensure();
        string root = Path.Combine(Dir, "runs");
        var spec = Parse(ExperimentAxesSpecTests.Spec($$""" "model": {{Model}}, "budgets": [{"steps": 3}], "baseline_budgets": [{"steps": 2}], "lrs": [0.01, 0.02] """));
        // A worker that ran the baseline alone first (the eslm runs left for later).
        var first = new TestHost();
        var runner = new ExperimentRunner(spec with { Arms = [spec.Arms[0]] }, root, first, worker: true);
        runner.Run();
        Assert.Equal(["budget-2/lr-0.01/clm", "budget-2/lr-0.02/clm", "budget-3/lr-0.01/clm", "budget-3/lr-0.02/clm"], runner.Trained);
        Assert.True(File.Exists(Path.Combine(root, "budget-2", "lr-0.02", "clm", "seed1", ExperimentRunner.EvalFile)));

        var host = new TestHost();
        runner = new ExperimentRunner(spec, root, host);
        runner.Run();
        Assert.Equal(["budget-3/lr-0.01/eslm", "budget-3/lr-0.02/eslm"], runner.Trained);
        Assert.Equal(4, host.Logs.Count(l => l.Contains("finished earlier, kept")));
        Assert.False(Directory.Exists(Path.Combine(root, "budget-2", "lr-0.01", "eslm"))); // the baseline alone at a baseline budget
        // each run trains at its own rate (warmup 1: the peak is reached at once)
        double Peak(double rate) => MetricsLine.ReadFile(Path.Combine(ExperimentRunner.SeedDirectory(root, spec.Points[1], "eslm", 1, rate), MetricsLine.FileName))
            .OfType<TrainMetrics>().Max(t => t.LearningRate);
        Assert.Equal(0.01, Peak(0.01), 1e-6);
        Assert.Equal(0.02, Peak(0.02), 1e-6);

        // A run whose evaluation was lost is trained (resumed) again, and only it.
        string lost = ExperimentRunner.SeedDirectory(root, spec.Points[1], "eslm", 1, 0.01);
        File.Delete(Path.Combine(lost, ExperimentRunner.EvalFile));
        runner = new ExperimentRunner(spec, root, new TestHost());
        runner.Run();
        Assert.Equal(["budget-3/lr-0.01/eslm"], runner.Trained);

        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(root, SummaryJson.FileName)))!;
        Assert.Equal(true, (bool?)summary["points"]![0]!["baseline_only"]);
        Assert.Equal(2, RunLog.ReadAll(root, spec).Count(r => r.Point.BaselineOnly && r.Finished));
        Assert.NotNull(summary["points"]![1]!["arms"]![1]!["compute_multiplier"]);

        // The rate axis cannot be dropped from a folder that holds results at rates.
        var plain = Parse(ExperimentAxesSpecTests.Spec($$""" "model": {{Model}}, "budgets": [{"steps": 3}], "baseline_budgets": [{"steps": 2}] """));
        var e = Assert.Throws<InvalidOperationException>(() => new ExperimentRunner(plain, root, new TestHost()).Run());
        Assert.Contains("grid axes", e.Message);
    }

    [Fact]
    public void Changing_a_baseline_budget_that_has_results_is_refused_but_adding_one_or_a_rate_is_fine()
    {
        string root = Path.Combine(Dir, "runs");
        Directory.CreateDirectory(root);
        string Axes(string budgets, string baseline, string lrs) =>
            ExperimentAxesSpecTests.Spec($$""" "model": {{Model}}, "budgets": {{budgets}}, "baseline_budgets": {{baseline}}, "lrs": {{lrs}} """);
        File.WriteAllText(Path.Combine(root, ExperimentRunner.SpecFile), Axes("""[{"flops_accounted": 1e6}]""", """[{"flops_accounted": 5e5}]""", "[0.01]"));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel(); // the folder check comes first; nothing trains
        // Another baseline budget and another rate: accepted (the file is rewritten, then the run stops at once).
        string grown = Axes("""[{"flops_accounted": 1e6}]""", """[{"flops_accounted": 5e5}, {"flops_accounted": 2e6}]""", "[0.01, 0.02]");
        Assert.Throws<OperationCanceledException>(() => new ExperimentRunner(Parse(grown), root, new TestHost()).Run(cancelled.Token));
        Assert.Contains("2e6", File.ReadAllText(Path.Combine(root, ExperimentRunner.SpecFile)));
        // Arms' budgets that start elsewhere would give budget-5e5 another schedule (1 nominal step, not 2): refused.
        string shifted = Axes("""[{"flops_accounted": 2e6}]""", """[{"flops_accounted": 5e5}]""", "[0.01, 0.02]");
        var e = Assert.Throws<InvalidOperationException>(() => new ExperimentRunner(Parse(shifted), root, new TestHost()).Run(cancelled.Token));
        Assert.Contains("budget-5e5", e.Message);
    }
}
