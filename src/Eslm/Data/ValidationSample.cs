using Eslm.Tensors;

namespace Eslm.Data;

/// <summary>
/// Which windows a periodic validation evaluates (issue 14): a fixed stratified sample spread over the whole split. The
/// S windows (<see cref="TokenWindows"/>) are cut into n equal strata, windows [⌊iS/n⌋, ⌊(i+1)S/n⌋) for i in [0, n),
/// and one window is drawn uniformly from each. The first n windows, as before, are one stretch of the split, so the
/// curves could sit far from the whole-split evaluation (1.4 nats in the demo); one window per stratum is an unbiased
/// estimate of the whole split's mean, with less variance than a simple random sample of the same size.
/// </summary>
public static class ValidationSample
{
    /// <summary>
    /// The sample's seed: a constant (ASCII "val"), deliberately not the training seed nor anything of the arm, so every
    /// arm and every seed of an experiment evaluates the same windows, and every validation of a run the same ones.
    /// </summary>
    public const ulong Seed = 0x76616C;

    /// <summary>
    /// Indices of the sampled windows in ascending order, one per stratum: <paramref name="size"/> of the
    /// <paramref name="windows"/>, or all of them, 0 … S−1, when <paramref name="size"/> ≥ S.
    /// </summary>
    public static long[] Windows(long windows, long size)
    {
        if (windows < 0 || size < 1) throw new ArgumentException($"a validation sample needs S >= 0 windows and n >= 1 (got S={windows}, n={size})");
        if (size >= windows)
        {
            var all = new long[windows];
            for (long k = 0; k < windows; k++) all[k] = k;
            return all;
        }
        var rng = new Rng(Seed);
        var picked = new long[size];
        for (long i = 0; i < size; i++)
        {
            long first = Bound(i, windows, size);
            picked[i] = first + rng.NextInt64(Bound(i + 1, windows, size) - first); // each stratum holds >= 1 window as n < S
        }
        return picked;
    }

    /// <summary>First window of stratum <paramref name="i"/>: ⌊i·S/n⌋ (128-bit, so i·S cannot overflow).</summary>
    private static long Bound(long i, long windows, long size) => (long)((Int128)i * windows / size);
}
