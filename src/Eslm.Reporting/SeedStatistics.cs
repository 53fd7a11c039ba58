namespace Eslm.Reporting;

/// <summary>A mean over seeds with its 95% confidence half-width (Student t; NaN with fewer than two seeds).</summary>
public readonly record struct Interval(double Mean, double HalfWidth, int N)
{
    public double Low => Mean - HalfWidth;
    public double High => Mean + HalfWidth;
    public bool HasWidth => N > 1 && double.IsFinite(HalfWidth);
    /// <summary>The interval lies wholly on one side of 0 (a difference we may call real at the 95% level).</summary>
    public bool ExcludesZero => HasWidth && (Low > 0 || High < 0);
}

/// <summary>What the seeds say about an arm's difference to the baseline.</summary>
public enum Verdict { Better, Worse, NotDistinguishable, NoInterval }

/// <summary>
/// Means, 95% intervals over seeds and paired differences (issue 14). With n seeds the interval is
/// mean ± t(0.975, n−1)·s/√n, s the sample standard deviation. A paired difference subtracts the baseline's value of the
/// same seed (same data order and initial weights), which removes the seed-to-seed variation both arms share.
/// </summary>
public static class SeedStatistics
{
    // t(0.975, df) for df = 1…30 (standard table values); larger df use the normal-tail expansion below.
    private static readonly double[] T975 =
    [
        12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
        2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
        2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
    ];

    /// <summary>The two-sided 95% Student t quantile for <paramref name="df"/> degrees of freedom.</summary>
    public static double TQuantile975(int df)
    {
        if (df < 1) throw new ArgumentOutOfRangeException(nameof(df), df, "needs at least one degree of freedom");
        if (df <= T975.Length) return T975[df - 1];
        // Cornish–Fisher expansion around z = 1.959964 (error < 1e-4 beyond df = 30).
        const double z = 1.959963985;
        double z3 = z * z * z, z5 = z3 * z * z;
        return z + (z3 + z) / (4.0 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96.0 * df * df);
    }

    /// <summary>Mean and 95% half-width of the finite values (NaN mean when there are none).</summary>
    public static Interval Of(IEnumerable<double> values)
    {
        var v = values.Where(double.IsFinite).ToList();
        if (v.Count == 0) return new Interval(double.NaN, double.NaN, 0);
        double mean = v.Average();
        if (v.Count == 1) return new Interval(mean, double.NaN, 1);
        double sd = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Count - 1));
        return new Interval(mean, TQuantile975(v.Count - 1) * sd / Math.Sqrt(v.Count), v.Count);
    }

    /// <summary>The interval of arm − baseline over the seeds both finished (pairs where either value is missing are left out).</summary>
    public static Interval Paired(IReadOnlyDictionary<ulong, double> arm, IReadOnlyDictionary<ulong, double> baseline) =>
        Of(arm.Where(p => baseline.ContainsKey(p.Key)).Select(p => p.Value - baseline[p.Key]));

    /// <summary>Better / worse only when the paired interval excludes 0.</summary>
    public static Verdict Judge(Interval difference, bool lowerIsBetter)
    {
        if (!difference.HasWidth) return Verdict.NoInterval;
        if (!difference.ExcludesZero) return Verdict.NotDistinguishable;
        return (difference.Mean < 0) == lowerIsBetter ? Verdict.Better : Verdict.Worse;
    }

    /// <summary>The tables' mark after a figure: " ✓" better, " ✗" worse, nothing otherwise.</summary>
    public static string Mark(Verdict v) => v switch { Verdict.Better => " ✓", Verdict.Worse => " ✗", _ => "" };

    public static string Word(Verdict v) => v switch
    {
        Verdict.Better => "**better**",
        Verdict.Worse => "worse",
        Verdict.NotDistinguishable => "n.d.",
        _ => "–",
    };
}
