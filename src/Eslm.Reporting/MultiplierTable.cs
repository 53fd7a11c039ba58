using System.Text;
using System.Text.Json.Nodes;
using Eslm.Experiments;
using Eslm.Selection.Strategies;

namespace Eslm.Reporting;

/// <summary>
/// An experiment's compute-equivalent multipliers (issue 23, <see cref="ComputeMultiplier"/>): for every arm at every grid
/// point, the baseline's cost to reach the arm's final whole-split in-domain loss over the arm's own cost, per seed
/// against the same seed's baseline runs at every budget of the same model, combined over seeds. Cost is accounted
/// FLOPs (the compute multiplier) or training wall-clock (the wall multiplier).
/// </summary>
public static class MultiplierTable
{
    /// <summary>What every multiplier plot's name starts with.</summary>
    public const string PlotPrefix = "multiplier_";

    /// <summary>The multiplier plot of one model.</summary>
    public static string PlotFile(string model) => $"{PlotPrefix}{GridPoint.ModelFolder(model)}.png";

    /// <summary>The loss the multiplier matches: the final whole-split in-domain validation loss.</summary>
    public static double Loss(RunLog r) => RunLog.Num(r.EvalSet(true)?["loss"]);

    public static double Flops(RunLog r) => r.Last(t => t.TotalFlopsAccounted);

    public static double WallSeconds(RunLog r) => r.Last(t => t.TotalSeconds);

    /// <summary>The wall-clock multiplier: as <see cref="Of"/>, pairing each run only with baseline runs timed on its machine.</summary>
    public static MultiplierEstimate OfWallClock(List<RunLog> runs, string baseline, GridPoint point, string arm) =>
        Of(runs, baseline, point, arm, WallSeconds, sameMachine: true);

    /// <summary>
    /// The multiplier of <paramref name="arm"/> at <paramref name="point"/> for one cost measure. With
    /// <paramref name="sameMachine"/> the baseline's frontier holds only its runs finished on the arm run's machine and
    /// thread count (eval.json's "machine"; runs without it count as one machine): seconds from two CPUs do not compare.
    /// </summary>
    public static MultiplierEstimate Of(List<RunLog> runs, string baseline, GridPoint point, string arm, Func<RunLog, double> cost, bool sameMachine = false)
    {
        var seeds = new List<SeedMultiplier>();
        foreach (var run in runs.Where(r => r.Finished && r.Arm == arm && r.Point == point))
        {
            var clm = runs.Where(r => r.Finished && IsPlainTraining(r, baseline) && r.Seed == run.Seed && r.Point.ModelName == point.ModelName
                                      && (!sameMachine || r.Machine == run.Machine))
                .Select(r => new CostLoss(cost(r), Loss(r))).Where(p => double.IsFinite(p.Loss) && p.Cost > 0).ToList();
            if (clm.Count == 0) continue;
            seeds.Add(ComputeMultiplier.OfSeed(clm, new CostLoss(cost(run), Loss(run))));
        }
        return ComputeMultiplier.Combine(seeds);
    }

    /// <summary>
    /// The runs that make up plain training's frontier: the baseline arm's and those of every other arm that trains on
    /// all tokens (strategy clm: say clm at another learning rate). A rule is then matched against the best plain training
    /// the experiment ran at each cost, so a win that only reflects the baseline's rate at one budget does not count.
    /// </summary>
    public static bool IsPlainTraining(RunLog r, string baseline) => r.Arm == baseline || r.Strategy == ClmSelector.StrategyName;

    /// <summary>The arms other than the baseline that join its frontier (<see cref="IsPlainTraining"/>).</summary>
    public static List<string> OtherPlainArms(ExperimentSpec spec, string baseline) =>
        spec.Arms.Where(a => a.Name != baseline && a.Selection.Strategy == ClmSelector.StrategyName).Select(a => a.Name).ToList();

    /// <summary>summary.json's form: <c>{"mean", "low", "high", "n", "bound"}</c> (bound: null, "at_least", "at_most" or "mixed").</summary>
    public static JsonObject Json(MultiplierEstimate m) => new()
    {
        ["mean"] = Finite(m.Mean), ["low"] = Finite(m.Low), ["high"] = Finite(m.High), ["n"] = m.N,
        ["bound"] = m.Bound switch { BoundSide.AtLeast => "at_least", BoundSide.AtMost => "at_most", BoundSide.Mixed => "mixed", _ => null },
    };

    private static JsonNode? Finite(double v) => double.IsFinite(v) ? JsonValue.Create(Math.Round(v, 6)) : null;

    /// <summary>What the report's "compute ×" and "wall-clock ×" columns mean.</summary>
    public static string Explanation(string baseline, IReadOnlyList<string>? otherPlainArms = null) =>
        $"Compute × (wall-clock ×): the accounted FLOPs (training wall-clock) at which {baseline} reaches the arm's final in-domain " +
        $"loss, over the arm's own; above 1 the rule saves compute. {baseline}'s curve is, per seed, its best loss with at most that " +
        "cost over its budgets" + (otherPlainArms is { Count: > 0 } others
            ? $" and those of the other plain-training arm{(others.Count == 1 ? "" : "s")} ({string.Join(", ", others)}: the best plain training run at each cost)"
            : "") +
        ", interpolated linearly in log cost; geometric mean over seeds with the 95% interval taken on the log. " +
        $"\"> x×\" / \"< x×\" mark an arm whose loss lies outside {baseline}'s range: a bound, not an extrapolation; \"mixed\": seeds fell outside it on both sides. " +
        "✓ / ✗: the interval lies above / below 1 (the rule saves / costs compute); bounds and single seeds have no interval, so no mark. " +
        $"The wall-clock multiplier uses only {baseline}'s runs timed on the arm run's machine and thread count.";

    /// <summary>Per model: the compute multiplier against budget (log x), with its interval, and a line at 1.</summary>
    public static List<(string File, string Caption)> WritePlots(string folder, ExperimentSpec spec, List<RunLog> runs, string baseline)
    {
        var written = new List<(string, string)>();
        foreach (var model in spec.Points.Select(p => p.ModelName).Distinct())
        {
            var points = spec.Points.Where(p => p.ModelName == model).OrderBy(p => p.BudgetIndex).ToList();
            var series = new List<TrendSeries>();
            foreach (var (arm, colour) in spec.Arms.Select((a, i) => (a, i)).Where(x => x.a.Name != baseline))
            {
                var m = points.Select(p => (Point: p, M: Of(runs, baseline, p, arm.Name, Flops)))
                    .Where(x => x.M.N > 0 && x.M.Bound != BoundSide.Mixed && double.IsFinite(x.M.Mean)).ToList();
                if (m.Count == 0) continue;
                // Plotted on log2 so that 2× and ½× sit symmetrically about the line at 1 (log2 = 0); error bars are the
                // interval's larger half on that scale (0 for bounds and single seeds).
                double[] ys = m.Select(x => Math.Log2(x.M.Mean)).ToArray();
                double[] errors = m.Select((x, i) => double.IsFinite(x.M.Low) ? Math.Max(Math.Log2(x.M.High) - ys[i], ys[i] - Math.Log2(x.M.Low)) : 0).ToArray();
                series.Add(new TrendSeries(arm.Name, colour, m.Select(x => x.Point.Budget.Value).ToArray(), ys, errors));
            }
            if (series.Count == 0) continue;
            string file = PlotFile(model);
            Plots.Trend(Path.Combine(folder, file), $"{model}: compute-equivalent multiplier vs {baseline}",
                $"budget ({spec.Budget.Name}, log scale)", "log2 multiplier (0 = same as clm; > 0 saves compute)", series);
            written.Add((file, $"{model}: compute multiplier against budget"));
        }
        return written;
    }
}
