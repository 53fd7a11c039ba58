using Eslm.Experiments;
using Eslm.Reporting;

namespace Eslm.Cli.Commands;

/// <summary>
/// `eslm inspect DIR` for an experiment directory (experiment.json inside): what it compares (model, budgets, arms, seeds)
/// and how far it is (runs finished, started, left; the reference; the report). Read-only: it takes no lock, so it works
/// while `eslm experiment run` trains in the folder.
/// </summary>
public static class InspectExperiment
{
    public static void Describe(string directory)
    {
        var spec = ExperimentSpec.Load(Path.Combine(directory, ExperimentRunner.SpecFile));
        var (planned, left) = StudyProgress.Of(spec, RunLog.ReadAll(directory, spec));
        int started = left.Count(l => l.Started);

        Console.WriteLine($"{directory}: experiment \"{spec.Name}\", {spec.Arms.Count} arms × {spec.Seeds.Count} seeds" +
                          (spec.LearningRates is { } lrs ? $" × {lrs.Count} learning rates" : "") + $", {planned} runs");
        foreach (string model in spec.Points.Select(p => p.ModelName).Distinct())
        {
            var points = spec.Points.Where(p => p.ModelName == model).ToList();
            Console.WriteLine($"  model {model} ({points[0].Model}); budgets ({points[0].Budget.Name}): " +
                              string.Join(", ", points.Select(p => Budget.Format(p.Budget.Value) + (p.BaselineOnly ? " baseline only" : ""))));
        }
        // An arm's own rate is named when it differs from the experiment's (clm at a second rate is another arm).
        Console.WriteLine($"  arms: {string.Join("; ", spec.Arms.Select(a => $"{a.Name} ({a.DescribeWithPrecision()}" +
            (a.Train.LearningRate == spec.Train.LearningRate ? "" : $", lr {a.Train.LearningRate:R}") + ")"))}");
        Console.WriteLine($"  seeds: {string.Join(", ", spec.Seeds)}");
        if (spec.Reference is not null)
            Console.WriteLine($"  reference: {TrainedOnceState(Path.Combine(directory, ExperimentRunner.ReferenceFolder))} " +
                              $"({spec.Reference.ModelName} on {spec.Reference.Data})");
        if (spec.Base is not null)
            foreach (var point in spec.Points.DistinctBy(p => p.ModelName))
                Console.WriteLine($"  base{(spec.HasModelAxis ? " " + point.ModelName : "")} ({spec.Base.Train.Steps} steps of clm per seed, continued by every arm): " +
                                  string.Join(", ", spec.Seeds.Select(s => $"seed{s} {TrainedOnceState(BaseSpec.SeedDirectory(directory, spec, point, s))}")));
        Console.WriteLine($"  runs: {planned - left.Count} finished, {started} started, {left.Count - started} not started");
        foreach (var (where, arms) in StudyProgress.LeftByPoint(left)) Console.WriteLine($"  left at {where}: {arms}");
        string report = Path.Combine(directory, ExperimentReport.ReportFile);
        Console.WriteLine(File.Exists(report)
            ? $"  report: {report} (written {File.GetLastWriteTimeUtc(report):yyyy-MM-dd HH:mm} UTC; `eslm experiment report {directory}` rebuilds it)"
            : $"  report: none yet (`eslm experiment report {directory}` writes it from the finished runs)");
    }

    /// <summary>Trained (done.json read strictly: a damaged one is an error naming it), and whether its checkpoint is here.</summary>
    private static string TrainedOnceState(string dir)
    {
        if (!File.Exists(Path.Combine(dir, ExperimentRunner.DoneFile))) return "not trained yet";
        string checkpoint = DoneMarker.Checkpoint(dir);
        return Directory.Exists(checkpoint) || File.Exists(checkpoint) ? "trained" : "trained (its checkpoint is not on this machine)";
    }
}
