using System.Text;
using Eslm.Experiments;

namespace Eslm.Reporting;

/// <summary>
/// Issue 14: how each arm's gap to the baseline moves as the budget grows. Per model, a verdict table (better / worse /
/// not distinguishable, from the paired 95% interval over seeds) for in-domain, out-of-domain and worst-domain loss at
/// every budget, and per evaluation set the paired Δ loss with its interval against budget and against wall-clock.
/// </summary>
public static class TrendReport
{
    private sealed record Figure(string Name, Func<RunLog, double> Value);

    private static readonly Figure[] VerdictFigures =
    [
        new("in-domain", r => RunLog.Num(r.EvalSet(true)?["loss"])),
        new("out-of-domain", r => RunLog.Num(r.EvalSet(false)?["loss"])),
        new("worst-domain", r => r.WorstDomainLoss),
    ];

    /// <summary>The paired Δ (arm − baseline) of a figure at one grid point.</summary>
    public static Interval Delta(List<RunLog> runs, GridPoint point, string arm, string baseline, Func<RunLog, double> value)
    {
        var here = runs.Where(r => r.Point == point).ToList();
        return SeedStatistics.Paired(SummaryTable.BySeed(here, arm, value), SummaryTable.BySeed(here, baseline, value));
    }

    /// <summary>What every trend plot's name starts with.</summary>
    public const string PlotPrefix = "trend_";

    /// <summary>The start of one model's trend plot names.</summary>
    private static string ModelPlotPrefix(string model) => $"{PlotPrefix}{GridPoint.ModelFolder(model)}_";

    /// <summary>Writes the trend plots (per model and evaluation set: Δ against budget, Δ against wall-clock).</summary>
    public static List<(string File, string Caption)> WritePlots(string folder, ExperimentSpec spec, List<RunLog> runs)
    {
        var written = new List<(string, string)>();
        string? baseline = ExperimentReport.Baseline(spec);
        if (baseline is null) return written;
        foreach (var model in spec.Points.Select(p => p.ModelName).Distinct())
        {
            var points = spec.Points.Where(p => p.ModelName == model).OrderBy(p => p.BudgetIndex).ToList();
            foreach (var set in spec.Eval)
            {
                double Loss(RunLog r) => RunLog.Num(r.EvalSetNamed(set.Name)?["loss"]);
                var byBudget = new List<TrendSeries>();
                var byWall = new List<TrendSeries>();
                foreach (var (arm, colour) in spec.Arms.Select((a, i) => (a, i)).Where(x => x.a.Name != baseline))
                {
                    var d = points.Select(p => (Point: p, Delta: Delta(runs, p, arm.Name, baseline, Loss))).Where(x => double.IsFinite(x.Delta.Mean)).ToList();
                    if (d.Count == 0) continue;
                    double Wall(GridPoint p) => SeedStatistics.Of(runs.Where(r => r.Point == p && r.Arm == arm.Name && r.Finished).Select(r => r.Last(t => t.TotalSeconds))).Mean;
                    double[] ys = d.Select(x => x.Delta.Mean).ToArray(), errors = d.Select(x => x.Delta.HasWidth ? x.Delta.HalfWidth : 0).ToArray();
                    byBudget.Add(new TrendSeries(arm.Name, colour, d.Select(x => x.Point.Budget.Value).ToArray(), ys, errors));
                    byWall.Add(new TrendSeries(arm.Name, colour, d.Select(x => Wall(x.Point)).ToArray(), ys, errors));
                }
                string stem = ModelPlotPrefix(model) + set.FileStem;
                string yLabel = $"Δ {set.Name} loss vs {baseline} (nats; < 0 is better)";
                string what = $"{model}: Δ {set.Name} ({(set.InDomain ? "in" : "out-of")}-domain) loss vs {baseline}";
                Plots.Trend(Path.Combine(folder, stem + "_budget.png"), $"{what}, by budget", $"budget ({spec.Budget.Name}, log scale)", yLabel, byBudget);
                Plots.Trend(Path.Combine(folder, stem + "_wall.png"), $"{what}, by training time", "mean training wall-clock per run (s, log scale)", yLabel, byWall);
                written.Add((stem + "_budget.png", $"{what} against budget"));
                written.Add((stem + "_wall.png", $"{what} against wall-clock"));
            }
        }
        return written;
    }

    /// <summary>The baseline-only budgets of one model with the baseline's in-domain loss there (points of its frontier).</summary>
    private static void BaselineOnlyLine(StringBuilder md, List<RunLog> runs, string baseline, List<GridPoint> points)
    {
        var extra = points.Where(p => p.BaselineOnly).ToList();
        if (extra.Count == 0) return;
        var cells = extra.Select(p => $"{ExperimentReport.G(p.Budget.Value)} (in-domain loss " +
            SummaryTable.Cell(SeedStatistics.Of(runs.Where(r => r.Point == p && r.Arm == baseline && r.Finished).Select(MultiplierTable.Loss)), "F4") + ")");
        md.AppendLine($"Baseline-only budgets ({baseline} alone, extra points of its frontier for the multipliers): {string.Join(", ", cells)}.").AppendLine();
    }

    public static void Markdown(StringBuilder md, ExperimentSpec spec, List<RunLog> runs, IReadOnlyList<(string File, string Caption)> plots)
    {
        string? baseline = ExperimentReport.Baseline(spec);
        md.AppendLine("## Trend: the gap to the baseline as the budget grows").AppendLine();
        if (baseline is null) { md.AppendLine("No clm arm, so no baseline to compare with.").AppendLine(); return; }
        md.AppendLine($"Paired Δ loss (arm − {baseline}, same seed) with its 95% interval; the verdict is **better** or worse only when the interval " +
                      "excludes 0, else n.d. (not distinguishable). Worst-domain = the largest per-domain loss over every evaluation set.").AppendLine();
        md.AppendLine(MultiplierTable.Explanation(baseline, MultiplierTable.OtherPlainArms(spec, baseline))).AppendLine();
        foreach (var model in spec.Points.Select(p => p.ModelName).Distinct())
        {
            var points = spec.Points.Where(p => p.ModelName == model).OrderBy(p => p.BudgetIndex).ToList();
            md.AppendLine($"### {model}").AppendLine();
            md.Append("| arm | budget |");
            foreach (var f in VerdictFigures) md.Append($" Δ {f.Name} |");
            md.Append(" verdict (" + string.Join(" / ", VerdictFigures.Select(f => f.Name.Split('-')[0])) + ") | compute × | wall-clock × |").AppendLine();
            md.Append("|---|---:|").Append(string.Concat(Enumerable.Repeat("---:|", VerdictFigures.Length))).AppendLine("---|---:|---:|");
            foreach (var arm in spec.Arms.Where(a => a.Name != baseline))
                foreach (var p in points.Where(p => !p.BaselineOnly))
                {
                    var deltas = VerdictFigures.Select(f => Delta(runs, p, arm.Name, baseline, f.Value)).ToList();
                    md.Append($"| {arm.Name} | {ExperimentReport.G(p.Budget.Value)} |");
                    foreach (var d in deltas) md.Append(' ').Append(SummaryTable.DeltaCell(d, "F4", lowerIsBetter: true)).Append(" |");
                    md.Append(' ').Append(string.Join(" / ", deltas.Select(d => double.IsFinite(d.Mean) ? SeedStatistics.Word(SeedStatistics.Judge(d, true)) : "–"))).Append(" |");
                    md.Append($" {MultiplierTable.Of(runs, baseline, p, arm.Name, MultiplierTable.Flops).MarkedText()} |")
                      .AppendLine($" {MultiplierTable.OfWallClock(runs, baseline, p, arm.Name).MarkedText()} |");
                }
            md.AppendLine();
            BaselineOnlyLine(md, runs, baseline, points);
            foreach (var (file, caption) in plots.Where(p => p.File.StartsWith(ModelPlotPrefix(model), StringComparison.Ordinal)
                                                             || p.File == MultiplierTable.PlotFile(model)))
                md.AppendLine($"![{caption}]({ExperimentReport.PlotFolder}/{file})").AppendLine();
        }
    }
}
