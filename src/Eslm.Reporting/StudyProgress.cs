using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Eslm.Experiments;

namespace Eslm.Reporting;

/// <summary>
/// Issue 23: how much of an experiment is done and what is left, for a study run in parts (and committed between them).
/// Counts every planned run (arm × seed × point × rate, the baseline alone at baseline-only points) against the runs
/// whose eval.json exists; a run with steps logged but no evaluation is "started".
/// </summary>
public static class StudyProgress
{
    public sealed record Left(GridPoint Point, double? Rate, string Arm, ulong Seed, bool Started);

    public static (int Planned, List<Left> Left) Of(ExperimentSpec spec, List<RunLog> all)
    {
        var planned = ExperimentRunner.Runs(spec, spec.Points).ToList();
        var left = new List<Left>();
        foreach (var (point, arm, seed, rate) in planned)
        {
            var log = all.FirstOrDefault(r => r.Point == point && r.Arm == arm.Name && r.Seed == seed && r.LearningRate == rate);
            if (log is not { Finished: true }) left.Add(new Left(point, rate, arm.Name, seed, log is not null));
        }
        return (planned.Count, left);
    }

    /// <summary>One paragraph when runs are left (nothing when the experiment is complete): the count, then per point and rate the arms and seeds left.</summary>
    public static void Markdown(StringBuilder md, ExperimentSpec spec, List<RunLog> all)
    {
        var (planned, left) = Of(spec, all);
        if (left.Count == 0) return;
        md.AppendLine($"**Progress: {planned - left.Count} of {planned} runs finished; the tables below show the finished ones.** Left " +
                      "(`eslm experiment run` on this file continues with them):").AppendLine();
        foreach (var (where, arms) in LeftByPoint(left)) md.AppendLine($"- {where}: {arms}");
        md.AppendLine();
    }

    /// <summary>The runs left per grid point (and rate): "tiny, steps 2" → "clm (seed 1 started); rho1 (seeds 1, 2)".</summary>
    public static IEnumerable<(string Where, string Arms)> LeftByPoint(IEnumerable<Left> left) =>
        left.GroupBy(l => (l.Point, l.Rate)).Select(group =>
            (group.Key.Point.Label + (group.Key.Rate is { } r ? $", lr {r.ToString("R", CultureInfo.InvariantCulture)}" : ""),
             string.Join("; ", group.GroupBy(l => l.Arm).Select(a =>
                 $"{a.Key} (seed{(a.Count() == 1 ? "" : "s")} {string.Join(", ", a.Select(l => l.Seed + (l.Started ? " started" : "")))})"))));

    /// <summary>summary.json's <c>"progress"</c>: runs planned and finished.</summary>
    public static JsonObject Json(ExperimentSpec spec, List<RunLog> all)
    {
        var (planned, left) = Of(spec, all);
        return new JsonObject { ["runs_planned"] = planned, ["runs_finished"] = planned - left.Count };
    }

    /// <summary>
    /// Where the finished runs trained (eval.json's "machine": CPU and threads), one line, when any run records it: wall-clock
    /// figures compare fairly only between runs of one machine and thread count.
    /// </summary>
    public static void Machines(StringBuilder md, List<RunLog> all)
    {
        var machines = all.Where(r => r.Finished && r.Machine is not null).GroupBy(r => r.Machine!)
            .Select(g => $"{g.Key} ({g.Count()} run{(g.Count() == 1 ? "" : "s")})").ToList();
        if (machines.Count == 0) return;
        md.AppendLine($"Trained on: {string.Join("; ", machines)}." +
                      (machines.Count > 1 ? " Wall-clock figures in the tables mix these machines; the wall-clock multiplier pairs each run only with the baseline's runs timed on its own machine." : "")).AppendLine();
    }
}
