using System.Globalization;
using System.Text;
using Eslm.Experiments;

namespace Eslm.Reporting;

/// <summary>
/// The per-arm table of one grid point: every figure as mean (± 95% interval over seeds), then the paired differences to
/// the baseline for the figures that decide a comparison. Columns that cannot tell any arm apart are dropped and named.
/// </summary>
public static class SummaryTable
{
    public sealed record Column(string Header, Func<RunLog, double> Value, string Format, bool Delta = false, bool LowerIsBetter = true);

    public static readonly Column[] Columns =
    [
        new("val loss (in)", r => RunLog.Num(r.EvalSet(true)?["loss"]), "F4", Delta: true),
        new("ppl (in)", r => RunLog.Num(r.EvalSet(true)?["ppl"]), "F2"),
        new("val loss (out)", r => RunLog.Num(r.EvalSet(false)?["loss"]), "F4", Delta: true),
        new("ppl (out)", r => RunLog.Num(r.EvalSet(false)?["ppl"]), "F2"),
        new("worst-domain loss", r => r.WorstDomainLoss, "F4", Delta: true),
        new("doc CVaR₀.₉ (in)", r => RunLog.Num(r.EvalSet(true)?["doc_cvar90"]), "F4"),
        new("acc", r => RunLog.Num(r.Task("hellaswag")?["acc"]), "F3"),
        new("acc_norm", r => RunLog.Num(r.Task("hellaswag")?["acc_norm"]), "F3", Delta: true, LowerIsBetter: false),
        new("cloze acc", r => RunLog.Num(r.Task("cloze")?["acc"]), "F3"),
        new("cloze 4-way acc", r => RunLog.Num(r.Task("cloze")?["choice_acc"]), "F3", Delta: true, LowerIsBetter: false),
        new("cloze target log p", r => RunLog.Num(r.Task("cloze")?["target_logprob"]), "F3", LowerIsBetter: false),
        new("cloze target rank", r => RunLog.Num(r.Task("cloze")?["target_rank"]), "F0"),
        new("accounted FLOPs", r => r.Last(t => t.TotalFlopsAccounted), "E2"),
        new("executed FLOPs", r => r.Last(t => t.TotalFlopsExecuted), "E2"),
        new("wall s", r => r.Last(t => t.TotalSeconds), "F1"),
        new("steps", r => r.Last(t => t.Step + 1), "F0"),
        new("kept", r => r.MeanOf(t => t.KeptFraction), "F3"),
    ];

    public static string F(double v, string format) =>
        !double.IsFinite(v) ? "–" : format == "E2" ? v.ToString("0.00e+0", CultureInfo.InvariantCulture) : v.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>"mean" or "mean ± half-width".</summary>
    public static string Cell(Interval i, string format) => F(i.Mean, format) + (i.HasWidth ? " ± " + F(i.HalfWidth, format) : "");

    /// <summary>A paired difference: signed mean, its interval, and ✓ / ✗ when the interval excludes 0.</summary>
    public static string DeltaCell(Interval d, string format, bool lowerIsBetter)
    {
        if (!double.IsFinite(d.Mean)) return "–";
        return (d.Mean >= 0 ? "+" : "") + Cell(d, format) + SeedStatistics.Mark(SeedStatistics.Judge(d, lowerIsBetter));
    }

    /// <summary>Per seed: the figure of each finished run of <paramref name="arm"/>.</summary>
    public static Dictionary<ulong, double> BySeed(IEnumerable<RunLog> runs, string arm, Func<RunLog, double> value) =>
        runs.Where(r => r.Arm == arm && r.Finished).ToDictionary(r => r.Seed, value);

    public static void Markdown(StringBuilder md, ExperimentSpec spec, GridPoint point, List<RunLog> runs)
    {
        string? baseline = ExperimentReport.Baseline(spec);
        var present = Columns.Where(c => runs.Any(r => double.IsFinite(c.Value(r)))).ToList();
        // A column whose every arm shows the same figure says nothing about the arms (e.g. cloze exact match 0.000 for all).
        var armMeans = present.ToDictionary(c => c, c => spec.ArmsAt(point).Select(a => SeedStatistics.Of(runs.Where(r => r.Arm == a.Name && r.Finished).Select(c.Value)).Mean)
            .Where(double.IsFinite).Select(m => F(m, c.Format)).ToList());
        var dropped = present.Where(c => armMeans[c].Count > 1 && armMeans[c].Distinct().Count() == 1).ToList();
        var columns = present.Except(dropped).ToList();
        var deltas = baseline is null ? [] : columns.Where(c => c.Delta).ToList();

        md.Append("| arm | strategy |");
        foreach (var c in columns) md.Append($" {c.Header} |");
        foreach (var c in deltas) md.Append($" Δ {c.Header} vs {baseline} |");
        md.AppendLine();
        md.Append("|---|---|").Append(string.Concat(Enumerable.Repeat("---:|", columns.Count + deltas.Count))).AppendLine();
        foreach (var arm in spec.ArmsAt(point)) // the baseline alone at a baseline-only point
        {
            var armRuns = runs.Where(r => r.Arm == arm.Name).ToList();
            var finished = armRuns.Where(r => r.Finished).ToList();
            string status = armRuns.Count == 0 ? " (not started)" : finished.Count < spec.Seeds.Count ? $" ({finished.Count}/{spec.Seeds.Count} seeds done)" : "";
            // In an "lrs" experiment the runs here are the arm's best rate (LearningRates.AtBestRates): name it.
            string rate = armRuns.FirstOrDefault()?.LearningRate is { } lr ? $", lr {lr.ToString("R", CultureInfo.InvariantCulture)}" : "";
            md.Append($"| **{arm.Name}**{status} | {arm.DescribeWithPrecision()}{rate} |");
            var use = finished.Count > 0 ? finished : armRuns;
            foreach (var c in columns) md.Append(' ').Append(Cell(SeedStatistics.Of(use.Select(c.Value)), c.Format)).Append(" |");
            foreach (var c in deltas)
            {
                var d = SeedStatistics.Paired(BySeed(runs, arm.Name, c.Value), BySeed(runs, baseline!, c.Value));
                md.Append(' ').Append(arm.Name == baseline ? "–" : DeltaCell(d, c.Format, c.LowerIsBetter)).Append(" |");
            }
            md.AppendLine();
        }
        md.AppendLine();
        md.AppendLine("Losses in nats per token (lower is better). `kept` is the mean fraction of tokens back-propagated per step; accounted FLOPs " +
                      "follow the papers (2·N per token forward + 4·N per kept token backward + auxiliary forwards), executed FLOPs are what our " +
                      "GEMMs did; wall s is training time only (no evaluation)." +
                      (dropped.Count == 0 ? "" : " Dropped because every arm shows the same figure: " +
                          string.Join(", ", dropped.Select(c => $"{c.Header} ({armMeans[c][0]})")) + ".")).AppendLine();
    }
}
