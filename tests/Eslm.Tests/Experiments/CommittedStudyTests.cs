using System.Text.Json.Nodes;
using Eslm.Experiments;
using Eslm.Records;
using Eslm.Reporting;
using Eslm.Tests.Data;
using Eslm.Tests.Reference;
using Xunit;

namespace Eslm.Tests.Experiments;

/// <summary>
/// Issue 23: a study run in parts and committed between them. Only each run's small files are committed (run.json,
/// eval.json, metrics.jsonl.gz); a fresh clone rebuilds the same report from them and continues with the runs left,
/// training the reference again only when a run left needs it.
/// </summary>
public class CommittedStudyTests : DataTestBase
{
    private const string Model = """{"preset": "tiny", "layers": 1, "heads": 2, "channels": 16, "context": 8, "vocab": 101}""";

    private static ExperimentSpec Spec(string seeds = "[1]", int referenceSteps = 2) => ExperimentSpec.Parse((JsonObject)JsonNode.Parse(ExperimentAxesSpecTests.Spec(
        $$$""" "model": {{{Model}}}, "budgets": [{"steps": 2}, {"steps": 4}], "reference": {"data": "clean", "model": {{{Model}}}, "train": {"steps": {{{referenceSteps}}}}} """,
        arms: """[{"name": "clm", "strategy": "clm"}, {"name": "rho1", "strategy": "rho1", "keep": 0.5, "reference": "@reference"}]""")
        .Replace("\"seeds\": [1]", "\"seeds\": " + seeds, StringComparison.Ordinal))!);

    /// <summary>What `git add` takes of an experiment folder under the .gitignore the runner writes (mirrored here by hand).</summary>
    private static void CopyCommitted(string from, string to)
    {
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(from, file);
            string name = Path.GetFileName(file);
            if (rel.Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith("step-", StringComparison.Ordinal))
                || name == MetricsLine.FileName || name.EndsWith(".lock", StringComparison.Ordinal) || name.Contains(".lock.", StringComparison.Ordinal) || name.EndsWith(".reference-losses.bin", StringComparison.Ordinal))
                continue;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(to, rel))!);
            File.Copy(file, Path.Combine(to, rel));
        }
    }

    private static string WithoutTimestamp(string report) => string.Join("\n", report.Split('\n').Where(l => !l.StartsWith("_Rebuild with", StringComparison.Ordinal)));

    private static double InDomainLoss(string runDir) =>
        (double)JsonNode.Parse(File.ReadAllText(Path.Combine(runDir, ExperimentRunner.EvalFile)))!["eval"]![0]!["loss"]!;

    [Fact]
    public void A_committed_study_rebuilds_its_report_and_continues_with_the_runs_left()
    {
        Blas.Ensure();
        var spec = Spec();
        string trained = Path.Combine(Dir, "trained");
        new ExperimentRunner(spec, trained, new TestHost()).Run();
        string ignore = File.ReadAllText(Path.Combine(trained, ".gitignore"));
        foreach (string pattern in new[] { "step-*/", ".*.tmp-*", "metrics.jsonl\n", "*.lock\n", "*.lock.*", "*.reference-losses.bin", "reference/rebuilt/" }) Assert.Contains(pattern, ignore);
        var runDirs = ExperimentRunner.Runs(spec, spec.Points).Select(r => ExperimentRunner.SeedDirectory(trained, r.Point, r.Arm.Name, r.Seed)).ToList();
        Assert.All(runDirs, d => Assert.True(File.Exists(Path.Combine(d, CommittedRuns.CompressedMetricsFile))));
        Assert.True(File.Exists(Path.Combine(trained, "reference", CommittedRuns.CompressedMetricsFile)));
        // done.json names the checkpoint inside its folder, so the study moves with its clone
        Assert.StartsWith("step-", (string)JsonNode.Parse(File.ReadAllText(Path.Combine(trained, "reference", ExperimentRunner.DoneFile)))!["checkpoint"]!);

        // A fresh clone: the committed files alone give the same report and summary (apart from the time stamp).
        string clone = Path.Combine(Dir, "clone");
        CopyCommitted(trained, clone);
        Assert.Empty(Directory.GetDirectories(clone, "step-*", SearchOption.AllDirectories));
        Assert.Equal(WithoutTimestamp(File.ReadAllText(Path.Combine(trained, ExperimentReport.ReportFile))),
                     WithoutTimestamp(File.ReadAllText(ExperimentReport.Write(clone))));
        Assert.Equal(File.ReadAllText(Path.Combine(trained, SummaryJson.FileName)), File.ReadAllText(Path.Combine(clone, SummaryJson.FileName)));

        // Finished there: nothing trains, and the reference (whose checkpoint stayed behind) is not trained again.
        var host = new TestHost();
        var runner = new ExperimentRunner(spec, clone, host);
        runner.Run();
        Assert.Empty(runner.Trained);
        Assert.DoesNotContain(host.Logs, l => l.Contains("trained again"));

        // A study committed part-way: the last rho1 run is left. Only it trains; the reference is trained again for it (in
        // reference/rebuilt, beside the committed log) and gives the same result as on the first machine.
        string lastRho1 = ExperimentRunner.SeedDirectory(clone, spec.Points[1], "rho1", 1);
        double expected = InDomainLoss(lastRho1);
        Directory.Delete(lastRho1, recursive: true);
        File.Delete(Path.Combine(clone, SummaryJson.FileName));
        string partial = File.ReadAllText(ExperimentReport.Write(clone));
        Assert.Contains("**Progress: 3 of 4 runs finished", partial);
        Assert.Contains("- tiny*, steps 4: rho1 (seed 1)", partial);
        Assert.Matches(@"Trained on: .+ \(family \d+ model \d+\), \d+ threads \(3 runs\)\.", partial); // eval.json's "machine"
        Assert.Equal(3, (int)JsonNode.Parse(File.ReadAllText(Path.Combine(clone, SummaryJson.FileName)))!["progress"]!["runs_finished"]!);

        host = new TestHost();
        runner = new ExperimentRunner(spec, clone, host);
        runner.Run();
        Assert.Equal(["budget-4/rho1"], runner.Trained);
        Assert.Contains(host.Logs, l => l.Contains("trained again"));
        Assert.True(File.Exists(Path.Combine(clone, "reference", ExperimentRunner.RebuiltFolder, ExperimentRunner.DoneFile)));
        Assert.False(File.Exists(Path.Combine(clone, "reference", MetricsLine.FileName))); // the committed reference log is untouched
        Assert.Equal(expected, InDomainLoss(lastRho1));
        Assert.DoesNotContain("Progress", File.ReadAllText(Path.Combine(clone, ExperimentReport.ReportFile)));
    }

    [Fact]
    public void Packing_a_log_is_deterministic_and_reads_back_the_same_lines()
    {
        string dir = Path.Combine(Dir, "run");
        Directory.CreateDirectory(dir);
        string plain = Path.Combine(dir, MetricsLine.FileName);
        File.WriteAllText(plain, """{"type": "train", "step": 0, "loss": 7.5, "total_flops_accounted": 10, "total_seconds": 1}""" + "\n" +
                                 """{"type": "val", "step": 1, "val_loss": 7.25, "val_tokens": 16, "total_flops_accounted": 10, "total_seconds": 1}""" + "\n");
        CommittedRuns.Pack(dir);
        string packed = Path.Combine(dir, CommittedRuns.CompressedMetricsFile);
        byte[] first = File.ReadAllBytes(packed);
        File.Delete(packed);
        CommittedRuns.Pack(dir);
        Assert.Equal(first, File.ReadAllBytes(packed)); // no name or time in the gzip header
        Assert.Equal(0, first[4] | first[5] | first[6] | first[7]);
        var fromPlain = MetricsLine.ReadFile(plain).ToList();
        File.Delete(plain);
        Assert.Equal(packed, CommittedRuns.MetricsFile(dir));
        Assert.Equal(fromPlain, MetricsLine.ReadFile(packed).ToList());
        Assert.Equal(7.25, ((ValidationMetrics)MetricsLine.ReadFile(packed).Last()).Loss);
    }

    private static RunLog Finished(GridPoint point, string arm, double flops, double seconds, double loss, string cpu, string? strategy = null)
    {
        var run = new RunLog { Arm = arm, Seed = 1, Strategy = strategy ?? arm, Point = point };
        run.Train.Add((TrainMetrics)MetricsLine.Parse(JsonNode.Parse(
            $$"""{"type": "train", "step": 0, "total_flops_accounted": {{flops}}, "total_seconds": {{seconds}}}""")!.AsObject()));
        run.Eval = JsonNode.Parse($$$"""{"eval": [{"name": "mix", "domain": "in", "loss": {{{loss}}}}], "machine": {"cpu": "{{{cpu}}}", "threads": 2}}""")!.AsObject();
        return run;
    }

    [Fact]
    public void Every_plain_training_arm_joins_the_baseline_frontier_so_a_rule_meets_the_best_plain_rate()
    {
        var spec = Spec();
        var (small, large) = (spec.Points[0], spec.Points[1]);
        // clm (its rate chosen at the small budget): 1e12 → 6.0, 4e12 → 5.6. The same plain training at another rate
        // ("clm-slow", strategy clm) reaches 5.0 at 4e12. A rule at 1e12 with loss 5.5: against clm alone it beats the
        // whole frontier ("> 4×"); against the best plain training it is half-way in log between (1e12, 6.0) and
        // (4e12, 5.0): 2e12 of plain training, 2×.
        var runs = new List<RunLog>
        {
            Finished(small, "clm", 1e12, 100, 6.0, "A"), Finished(large, "clm", 4e12, 400, 5.6, "A"),
            Finished(large, "clm-slow", 4e12, 400, 5.0, "A", strategy: "clm"),
            Finished(large, "rho1", 1e12, 100, 5.5, "A"),
        };
        Assert.Equal(2.0, MultiplierTable.Of(runs, "clm", large, "rho1", MultiplierTable.Flops).Mean, 1e-9);
        Assert.Equal(BoundSide.None, MultiplierTable.Of(runs, "clm", large, "rho1", MultiplierTable.Flops).Bound);
        var clmAlone = runs.Where(r => r.Arm != "clm-slow").ToList();
        Assert.Equal(BoundSide.AtLeast, MultiplierTable.Of(clmAlone, "clm", large, "rho1", MultiplierTable.Flops).Bound);
        // The slower-rate arm is measured against the same frontier: it is its own best point, so exactly 1×.
        Assert.Equal(1.0, MultiplierTable.Of(runs, "clm", large, "clm-slow", MultiplierTable.Flops).Mean, 1e-12);
        Assert.Contains("and those of the other plain-training arm (clm-slow: the best plain training run at each cost)",
            MultiplierTable.Explanation("clm", ["clm-slow"]));
        Assert.DoesNotContain("other plain-training", MultiplierTable.Explanation("clm", []));

        // summary.json names the frontier's arms, and its multipliers use them.
        var twoPlain = spec with { Arms = [.. spec.Arms, spec.Arms[0] with { Name = "clm-slow" }] };
        var summary = JsonNode.Parse(SummaryJson.Of(twoPlain, runs))!;
        Assert.Equal(new[] { "clm", "clm-slow" }, summary["multiplier_frontier_arms"]!.AsArray().Select(n => (string)n!));
        var rho = summary["points"]!.AsArray().Last()!["arms"]!.AsArray().First(a => (string?)a!["arm"] == "rho1")!;
        Assert.Equal(2.0, (double)rho["compute_multiplier"]!["mean"]!, 1e-6);
        Assert.Null(JsonNode.Parse(SummaryJson.Of(spec, runs))!["multiplier_frontier_arms"]);
    }

    [Fact]
    public void The_wall_clock_multiplier_pairs_a_run_only_with_baseline_runs_timed_on_its_machine()
    {
        var spec = Spec();
        var (small, large) = (spec.Points[0], spec.Points[1]);
        // clm on machine A: 100 s → loss 6, 400 s → loss 5. The same runs' FLOPs: 1e12 and 4e12. On machine B (twice as
        // fast) clm's 400-FLOP-unit run took 100 s. The arm on A reaches 5.5 in 100 s: half-way in log between A's points,
        // so 200 s of clm = 2×; mixing in B's (100 s, 5.0) would put clm below the arm at its cheapest point: "< 1×".
        var runs = new List<RunLog>
        {
            Finished(small, "clm", 1e12, 100, 6.0, "A"), Finished(large, "clm", 4e12, 400, 5.0, "A"),
            Finished(large, "clm", 4e12, 100, 5.0, "B"),
            Finished(large, "rho1", 1e12, 100, 5.5, "A"),
        };
        Assert.Equal(2.0, MultiplierTable.OfWallClock(runs, "clm", large, "rho1").Mean, 1e-9);
        Assert.Equal(2.0, MultiplierTable.Of(runs, "clm", large, "rho1", MultiplierTable.Flops).Mean, 1e-9); // FLOPs are machine-free
        Assert.Equal(BoundSide.AtMost, MultiplierTable.Of(runs, "clm", large, "rho1", MultiplierTable.WallSeconds).Bound); // mixed: "< 1×"

        var md = new System.Text.StringBuilder();
        StudyProgress.Machines(md, runs);
        Assert.Contains("Trained on: A, 2 threads (3 runs); B, 2 threads (1 run).", md.ToString());
    }

    [Fact]
    public void A_seed_filter_runs_one_whole_seed_and_the_report_lists_the_other_as_left()
    {
        Blas.Ensure();
        var spec = Spec("[1, 2]");
        Assert.Equal([1UL, 2UL], spec.Seeds);
        string root = Path.Combine(Dir, "seeded");
        var runner = new ExperimentRunner(spec, root, new TestHost(), seeds: [2]);
        runner.Run();
        Assert.Equal(["budget-2/clm/seed2", "budget-2/rho1/seed2", "budget-4/clm/seed2", "budget-4/rho1/seed2"], runner.Trained);
        string md = File.ReadAllText(Path.Combine(root, ExperimentReport.ReportFile));
        Assert.Contains("**Progress: 4 of 8 runs finished", md);
        Assert.Contains("- tiny*, steps 2: clm (seed 1); rho1 (seed 1)", md);
        var e = Assert.Throws<ArgumentException>(() => new ExperimentRunner(spec, root, new TestHost(), seeds: [3]).Run());
        Assert.Contains("no seed 3", e.Message);
    }

    [Fact]
    public void An_arm_filter_runs_only_that_arm_and_leaves_the_reference_untrained_when_no_chosen_arm_needs_it()
    {
        Blas.Ensure();
        var spec = Spec("[1, 2]");
        string root = Path.Combine(Dir, "armed");
        var runner = new ExperimentRunner(spec, root, new TestHost(), seeds: [2], arms: ["clm"]);
        runner.Run();
        Assert.Equal(["budget-2/clm/seed2", "budget-4/clm/seed2"], runner.Trained);
        Assert.False(File.Exists(Path.Combine(root, "reference", ExperimentRunner.DoneFile)), "the reference was trained for no chosen arm");
        string md = File.ReadAllText(Path.Combine(root, ExperimentReport.ReportFile));
        Assert.Contains("**Progress: 2 of 8 runs finished", md);
        var e = Assert.Throws<ArgumentException>(() => new ExperimentRunner(spec, root, new TestHost(), arms: ["rho-1"]).Run());
        Assert.Contains("no arm 'rho-1'", e.Message);
    }

    [Fact]
    public void A_reference_trained_under_other_options_is_refused_and_a_damaged_done_json_is_one_error_naming_it()
    {
        Blas.Ensure();
        string root = Path.Combine(Dir, "reference-changed");
        new ExperimentRunner(Spec(), root, new TestHost(), arms: ["rho1"]).Run();
        // Its arms would go on reading the 2-step reference while experiment.json recorded 3 steps.
        var e = Assert.Throws<InvalidOperationException>(() => new ExperimentRunner(Spec(referenceSteps: 3), root, new TestHost()).Run());
        Assert.Contains("reference.train changed", e.Message);
        Assert.Contains("reference", e.Message);

        string done = Path.Combine(root, "reference", ExperimentRunner.DoneFile);
        File.WriteAllText(done, "{\"checkp");
        var damaged = Assert.Throws<InvalidDataException>(() => new ExperimentRunner(Spec(), root, new TestHost(), arms: ["rho1"], seeds: [1]).Run());
        Assert.Contains(done, damaged.Message);
        File.WriteAllText(done, "{\"checkpoint\": 3}");
        damaged = Assert.Throws<InvalidDataException>(() => new ExperimentRunner(Spec(), root, new TestHost()).Run());
        Assert.Contains("'checkpoint' must be a string", damaged.Message);
    }
}
