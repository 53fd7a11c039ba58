using Eslm.Selection;

namespace Eslm.Distributed;

/// <summary>
/// Exact VaR_α over the concatenation of every process's scores (the ⌈αM⌉-th smallest of all M scores, −∞ when that
/// rank is 0) without gathering the scores: a radix select over the 32-bit pattern of the floats, one 8-bit digit per
/// round, with one fixed-size <see cref="IDistributed.AllReduceSum(Span{double})"/> per round.
/// <para><b>Keys.</b> A float's bits map to an unsigned key with the same order: negative floats have all bits flipped,
/// non-negative ones the sign bit set; −0 is first turned into +0 (they compare equal), so equal floats have equal keys
/// and key order is float order (−∞ lowest, +∞ highest). NaN scores are an error on every process at once.</para>
/// <para><b>Rounds.</b> Round 0 counts every local key by its top 8 bits into 256 bins (plus one NaN counter); the
/// allreduced histogram gives M, hence the rule's rank k (⌈αM⌉ for VaR_α), and the bin b₀ holding the k-th smallest key (k becomes its rank within
/// b₀). Rounds 1–3 histogram the next 8 bits of the keys whose higher bits equal the digits fixed so far. After 4 rounds
/// all 32 bits are fixed: that key <em>is</em> the k-th smallest, so the result is exact, ties included (no tolerance, no
/// final gather). Each round sends 257 doubles (2,056 bytes) whatever the token count; counts in doubles are exact below
/// 2⁵³. Local work is one pass over the scores plus passes over the shrinking candidate set.</para>
/// </summary>
public static class GlobalValueAtRisk
{
    private const int DigitBits = 8, Bins = 1 << DigitBits, Rounds = 32 / DigitBits;

    /// <summary>Doubles allreduced per call: <see cref="Rounds"/> rounds of <see cref="Bins"/> + 1.</summary>
    public const int DoublesExchanged = Rounds * (Bins + 1);

    /// <summary>
    /// VaR_α of all processes' scores. Collective: every process of <paramref name="processes"/> must call it with the same
    /// <paramref name="alpha"/> (local counts may differ, including zero). <paramref name="keys"/> is scratch, grown as needed.
    /// </summary>
    public static float Threshold(ReadOnlySpan<float> localScores, double alpha, IDistributed processes, ref uint[]? keys) =>
        Threshold(localScores, ThresholdRule.OfAlpha(alpha), processes, ref keys);

    /// <summary>As above for any <see cref="ThresholdRule"/> (Rho-1's top-k as well as VaR_α).</summary>
    public static float Threshold(ReadOnlySpan<float> localScores, ThresholdRule rule, IDistributed processes, ref uint[]? keys)
    {
        int n = localScores.Length;
        if (keys is null || keys.Length < n) keys = new uint[Math.Max(n, 16)];
        Span<double> histogram = stackalloc double[Bins + 1];

        // Round 0: keys of every local score, histogram of their top digit, NaN count in the last slot.
        histogram.Clear();
        int shift = 32 - DigitBits, candidates = 0;
        foreach (float s in localScores)
        {
            if (float.IsNaN(s)) { histogram[Bins]++; continue; }
            uint key = KeyOf(s);
            keys[candidates++] = key;
            histogram[(int)(key >> shift)]++;
        }
        processes.AllReduceSum(histogram);
        if (histogram[Bins] > 0)
            throw new InvalidOperationException($"token scores contain NaN on some process ({histogram[Bins]} in all; the loss diverged)");
        double total = 0;
        for (int b = 0; b < Bins; b++) total += histogram[b];
        if (total > int.MaxValue) throw new ArgumentException($"{total} scores in one selection scope exceed the supported 2^31 − 1");
        long k = rule.Rank((long)total);
        if (k == 0) return float.NegativeInfinity;

        uint prefix = 0;
        for (int round = 0; ; round++)
        {
            // Pick the bin holding the k-th smallest candidate; k becomes its rank inside the bin.
            int digit = 0;
            double below = 0;
            while (below + histogram[digit] < k) below += histogram[digit++];
            k -= (long)below;
            prefix |= (uint)digit << shift;
            if (round == Rounds - 1) return FloatOf(prefix);

            // Keep the local keys whose bits above the next digit match, and histogram that digit.
            uint highMask = ~0u << shift;
            int kept = 0;
            for (int i = 0; i < candidates; i++)
                if ((keys[i] & highMask) == prefix) keys[kept++] = keys[i];
            candidates = kept;
            shift -= DigitBits;
            histogram.Clear();
            for (int i = 0; i < candidates; i++) histogram[(int)((keys[i] >> shift) & (Bins - 1))]++;
            processes.AllReduceSum(histogram);
        }
    }

    /// <summary>Order-preserving unsigned key of a non-NaN float (−0 and +0 share the key of +0).</summary>
    public static uint KeyOf(float value)
    {
        uint bits = value == 0f ? 0u : BitConverter.SingleToUInt32Bits(value);
        return (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
    }

    /// <summary>The float whose <see cref="KeyOf"/> is <paramref name="key"/>.</summary>
    public static float FloatOf(uint key) =>
        BitConverter.UInt32BitsToSingle((key & 0x8000_0000u) != 0 ? key & 0x7FFF_FFFFu : ~key);
}
