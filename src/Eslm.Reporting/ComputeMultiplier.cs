namespace Eslm.Reporting;

/// <summary>A baseline run's final result: what it cost (accounted FLOPs, or wall-clock seconds) and the loss it reached.</summary>
public readonly record struct CostLoss(double Cost, double Loss);

/// <summary>Which way a multiplier is only a bound: the arm's loss lies outside the baseline's range.</summary>
public enum BoundSide
{
    /// <summary>Measured: the baseline's frontier reaches the arm's loss inside its range.</summary>
    None,
    /// <summary>The arm beat the baseline's best loss: the baseline needs more than its largest budget, so the multiplier is at least this.</summary>
    AtLeast,
    /// <summary>The arm did worse than the baseline's smallest budget: the multiplier is at most this.</summary>
    AtMost,
    /// <summary>Seeds fell outside the range on both sides: no figure can be given.</summary>
    Mixed,
}

/// <summary>One seed's multiplier: a measured value, or a bound on it.</summary>
public readonly record struct SeedMultiplier(double Value, BoundSide Bound);

/// <summary>The geometric mean over seeds with the 95% Student t interval taken on the logarithm.</summary>
public readonly record struct MultiplierEstimate(double Mean, double Low, double High, int N, BoundSide Bound)
{
    /// <summary>"1.84× [1.32, 2.56]", "> 4.0×", "< 0.50×", "mixed" (bounds on both sides), or "–" (no finished seed).</summary>
    public string Text()
    {
        if (Bound == BoundSide.Mixed) return "mixed";
        if (N == 0 || !double.IsFinite(Mean)) return "–";
        string v = Format(Mean);
        return Bound switch
        {
            BoundSide.AtLeast => $"> {v}×",
            BoundSide.AtMost => $"< {v}×",
            _ => double.IsFinite(Low) ? $"{v}× [{Format(Low)}, {Format(High)}]" : $"{v}×",
        };
    }

    /// <summary>
    /// Better (the rule saves compute) when the interval lies above 1, worse when below; a bound or a single seed has no
    /// interval, so no verdict: "all seeds beyond clm's range" is not the same as an interval excluding 1.
    /// </summary>
    public Verdict Verdict =>
        Bound != BoundSide.None || !double.IsFinite(Low) || !double.IsFinite(High) ? Verdict.NoInterval
        : Low > 1 ? Verdict.Better : High < 1 ? Verdict.Worse : Verdict.NotDistinguishable;

    /// <summary><see cref="Text"/> with the report's mark: " ✓" when the interval lies above 1, " ✗" when below.</summary>
    public string MarkedText() => Text() + SeedStatistics.Mark(Verdict);

    private static string Format(double x) => x.ToString(x >= 10 ? "F1" : "F2", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// The compute-equivalent multiplier (issue 23): the cost at which the baseline (clm) reaches an arm's final loss, divided
/// by the arm's own cost. Above 1 the rule saves compute, below 1 it costs compute. The baseline's cost-to-loss curve is
/// its lower envelope over budgets (the best loss it reached with at most that cost: a later budget that ended worse does
/// not count), interpolated linearly in log cost between the envelope's points. Outside the envelope's loss range the
/// result is a bound, never an extrapolation.
/// </summary>
public static class ComputeMultiplier
{
    /// <summary>The envelope's points: increasing cost, strictly decreasing loss (non-finite points are left out).</summary>
    public static List<CostLoss> Frontier(IEnumerable<CostLoss> baseline)
    {
        var frontier = new List<CostLoss>();
        foreach (var p in baseline.Where(p => double.IsFinite(p.Loss) && p.Cost > 0 && double.IsFinite(p.Cost))
                     .OrderBy(p => p.Cost).ThenBy(p => p.Loss))
            if (frontier.Count == 0 || p.Loss < frontier[^1].Loss) frontier.Add(p);
        return frontier;
    }

    /// <summary>The baseline cost at which the envelope reaches <paramref name="loss"/>, or a bound side when outside it.</summary>
    public static (double Cost, BoundSide Bound) CostToReach(IReadOnlyList<CostLoss> frontier, double loss)
    {
        if (frontier.Count == 0) throw new ArgumentException("the baseline has no finished run to compare with");
        if (loss > frontier[0].Loss) return (frontier[0].Cost, BoundSide.AtMost);
        if (loss < frontier[^1].Loss) return (frontier[^1].Cost, BoundSide.AtLeast);
        for (int i = 0; i + 1 < frontier.Count; i++)
        {
            var (a, b) = (frontier[i], frontier[i + 1]);
            if (loss > b.Loss) // a.Loss ≥ loss > b.Loss
            {
                double share = (a.Loss - loss) / (a.Loss - b.Loss);
                return (Math.Exp(Math.Log(a.Cost) + share * (Math.Log(b.Cost) - Math.Log(a.Cost))), BoundSide.None);
            }
        }
        return (frontier[^1].Cost, BoundSide.None); // loss == the best loss
    }

    /// <summary>One seed: the arm's (cost, loss) against the same seed's baseline runs at every budget.</summary>
    public static SeedMultiplier OfSeed(IEnumerable<CostLoss> baseline, CostLoss arm)
    {
        if (!(arm.Cost > 0) || !double.IsFinite(arm.Loss)) return new SeedMultiplier(double.NaN, BoundSide.None);
        var (cost, bound) = CostToReach(Frontier(baseline), arm.Loss);
        return new SeedMultiplier(cost / arm.Cost, bound);
    }

    /// <summary>
    /// Geometric mean over the seeds with a 95% t interval on the log. When some seeds are bounds on one side, the mean
    /// is a bound on that side (the interval is dropped); bounds on both sides give <see cref="BoundSide.Mixed"/>.
    /// </summary>
    public static MultiplierEstimate Combine(IEnumerable<SeedMultiplier> seeds)
    {
        var s = seeds.Where(m => m.Value > 0 && double.IsFinite(m.Value)).ToList();
        if (s.Count == 0) return new MultiplierEstimate(double.NaN, double.NaN, double.NaN, 0, BoundSide.None);
        bool atLeast = s.Any(m => m.Bound == BoundSide.AtLeast), atMost = s.Any(m => m.Bound == BoundSide.AtMost);
        var bound = atLeast && atMost ? BoundSide.Mixed : atLeast ? BoundSide.AtLeast : atMost ? BoundSide.AtMost : BoundSide.None;
        var log = SeedStatistics.Of(s.Select(m => Math.Log(m.Value)));
        double mean = Math.Exp(log.Mean);
        if (bound != BoundSide.None || !log.HasWidth) return new MultiplierEstimate(mean, double.NaN, double.NaN, s.Count, bound);
        return new MultiplierEstimate(mean, Math.Exp(log.Low), Math.Exp(log.High), s.Count, bound);
    }
}
