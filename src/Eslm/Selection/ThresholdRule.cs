namespace Eslm.Selection;

/// <summary>
/// Which order statistic of a scope's M scores is the threshold (tokens scoring ≥ it are kept, ties included):
/// <list type="bullet">
/// <item><see cref="OfAlpha"/>: ESLM's VaR_α, the ⌈αM⌉-th smallest (no threshold when that rank is 0). Without ties
/// it keeps M − ⌈αM⌉ + 1 tokens.</item>
/// <item><see cref="OfKeep"/>: "keep the top k" (Rho-1), the ⌈kM⌉-th largest, i.e. the (M − ⌈kM⌉ + 1)-th smallest.
/// Without ties it keeps exactly ⌈kM⌉ tokens, as the random control does. VaR at α = 1 − k would keep one token more
/// whenever kM is a whole number (M − ⌈(1 − k)M⌉ + 1 = ⌊kM⌋ + 1).</item>
/// </list>
/// </summary>
public readonly record struct ThresholdRule
{
    private ThresholdRule(double fraction, bool keepTop) => (Fraction, KeepTop) = (fraction, keepTop);

    /// <summary>α of a VaR rule, or the kept fraction k of a top-k rule.</summary>
    public double Fraction { get; }

    /// <summary>True for "keep the top k", false for VaR_α.</summary>
    public bool KeepTop { get; }

    /// <summary>ESLM's rule: threshold VaR_α, α ∈ [0, 1).</summary>
    public static ThresholdRule OfAlpha(double alpha)
    {
        if (alpha is < 0 or >= 1 || double.IsNaN(alpha)) throw new ArgumentOutOfRangeException(nameof(alpha), $"alpha must be in [0, 1) (got {alpha})");
        return new(alpha, keepTop: false);
    }

    /// <summary>Keep the top fraction k ∈ (0, 1] of the scores.</summary>
    public static ThresholdRule OfKeep(double keep)
    {
        if (keep is <= 0 or > 1 || double.IsNaN(keep)) throw new ArgumentOutOfRangeException(nameof(keep), $"keep must be in (0, 1] (got {keep})");
        return new(keep, keepTop: true);
    }

    /// <summary>1-based rank from the bottom of the threshold among <paramref name="count"/> scores; 0 = no threshold (all kept).</summary>
    public long Rank(long count)
    {
        if (!KeepTop) return ValueAtRisk.Rank(Fraction, count);
        long top = Math.Max(1, ValueAtRisk.Ceiling(Fraction * count, count)); // k > 0 keeps at least one
        return top >= count ? 0 : count - top + 1;
    }

    public override string ToString() => KeepTop ? $"top {Fraction}" : $"VaR α {Fraction}";
}
