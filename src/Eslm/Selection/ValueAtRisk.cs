namespace Eslm.Selection;

/// <summary>
/// The empirical Value-at-Risk of a score vector and the "keep the tail" rule of ESLM (arXiv 2505.19893).
/// <para>VaR_α is the ⌈αM⌉-th smallest of M scores (1-based); α = 0 means "no threshold" (−∞). A token is kept when its
/// score is ≥ VaR_α. Ties at the threshold are all kept, so at least M − ⌈αM⌉ + 1 ≥ 1 tokens are kept whenever α &lt; 1:
/// the largest score is always kept. Found in expected O(M) by quickselect on a scratch copy (no full sort).</para>
/// </summary>
public static class ValueAtRisk
{
    /// <summary>Rank k = ⌈αM⌉ of the threshold (0 when α = 0). Robust to α·M landing a hair above an integer.</summary>
    public static long Rank(double alpha, long count)
    {
        if (alpha is < 0 or >= 1 || double.IsNaN(alpha)) throw new ArgumentOutOfRangeException(nameof(alpha), $"alpha must be in [0, 1) (got {alpha})");
        return Ceiling(alpha * count, count);
    }

    /// <summary>⌈x⌉ clamped to [0, max], robust to x landing a hair above an integer (0.3 × 10 = 3.0000000000000004).</summary>
    public static long Ceiling(double x, long max) => Math.Clamp((long)Math.Ceiling(x - 1e-9 * Math.Max(1, x)), 0, max);

    /// <summary>VaR_α of <paramref name="scores"/>: the ⌈αM⌉-th smallest, or −∞ when that rank is 0.</summary>
    public static float Threshold(ReadOnlySpan<float> scores, double alpha, Span<float> scratch) =>
        Threshold(scores, ThresholdRule.OfAlpha(alpha), scratch);

    /// <summary>The threshold <paramref name="rule"/> picks from <paramref name="scores"/>, or −∞ when its rank is 0.</summary>
    public static float Threshold(ReadOnlySpan<float> scores, ThresholdRule rule, Span<float> scratch)
    {
        int k = (int)rule.Rank(scores.Length);
        if (k == 0) return float.NegativeInfinity;
        var work = scratch[..scores.Length];
        scores.CopyTo(work);
        foreach (float s in work)
            if (float.IsNaN(s)) throw new InvalidOperationException("token scores contain NaN (the loss diverged)");
        return Select(work, k - 1);
    }

    /// <summary>Marks tokens with score ≥ threshold; returns how many were kept.</summary>
    public static int Keep(ReadOnlySpan<float> scores, float threshold, Span<bool> keep)
    {
        int kept = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            bool k = scores[i] >= threshold;
            keep[i] = k;
            if (k) kept++;
        }
        return kept;
    }

    /// <summary>Empirical CVaR_α: the mean of the scores ≥ VaR_α (for losses, the risk-averse objective ESLM minimises).</summary>
    public static double ConditionalValueAtRisk(ReadOnlySpan<float> scores, double alpha, Span<float> scratch)
    {
        float var = Threshold(scores, alpha, scratch);
        double sum = 0; int n = 0;
        foreach (float s in scores) if (s >= var) { sum += s; n++; }
        return n == 0 ? double.NaN : sum / n;
    }

    /// <summary>The element of rank <paramref name="index"/> (0-based) in ascending order; reorders <paramref name="a"/>.</summary>
    public static float Select(Span<float> a, int index)
    {
        int lo = 0, hi = a.Length - 1;
        while (hi > lo)
        {
            if (hi - lo < 16)
            {
                a.Slice(lo, hi - lo + 1).Sort();
                return a[index];
            }
            // Median of three as pivot, then a three-way partition (<, ==, >) so runs of ties finish at once.
            int mid = lo + (hi - lo) / 2;
            float x = a[lo], y = a[mid], z = a[hi];
            float pivot = Math.Max(Math.Min(x, y), Math.Min(Math.Max(x, y), z));
            int lt = lo, i = lo, gt = hi;
            while (i <= gt)
            {
                float v = a[i];
                if (v < pivot) { (a[lt], a[i]) = (a[i], a[lt]); lt++; i++; }
                else if (v > pivot) { (a[gt], a[i]) = (a[i], a[gt]); gt--; }
                else i++;
            }
            if (index < lt) hi = lt - 1;
            else if (index > gt) lo = gt + 1;
            else return pivot;
        }
        return a[index];
    }
}
