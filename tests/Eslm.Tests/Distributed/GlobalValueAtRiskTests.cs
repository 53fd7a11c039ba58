using Eslm.Distributed;
using Eslm.Selection;
using Eslm.Training;
using Xunit;

namespace Eslm.Tests.Distributed;

/// <summary>
/// The exact global VaR (radix histogram over allreduces) against the single-process VaR of the concatenated scores,
/// with fake in-process ranks (threads) so no MPI is needed; the same algorithm runs under mpirun in MpiTests.
/// </summary>
public class GlobalValueAtRiskTests
{
    private static readonly double[] Alphas = [0, 1e-9, 0.01, 0.1, 0.25, 0.5, 0.6, 0.75, 0.9, 0.999, 0.999999];

    /// <summary>Runs the global threshold on <paramref name="parts"/> (one per rank); checks every rank got the same value and returns it.</summary>
    private static float Global(float[][] parts, double alpha, InProcessRanks? ranks = null)
    {
        ranks ??= new InProcessRanks(parts.Length);
        var results = ranks.Run(p => p.GlobalThreshold(parts[p.Rank], ThresholdRule.OfAlpha(alpha)));
        foreach (float r in results) Assert.Equal(BitConverter.SingleToInt32Bits(results[0]), BitConverter.SingleToInt32Bits(r));
        return results[0];
    }

    private static float Single(float[][] parts, double alpha)
    {
        var all = parts.SelectMany(p => p).ToArray();
        return ValueAtRisk.Threshold(all, alpha, new float[all.Length]);
    }

    /// <summary>Splits <paramref name="all"/> into <paramref name="ranks"/> uneven parts (some possibly empty).</summary>
    private static float[][] Split(float[] all, int ranks, Random rng)
    {
        var cuts = Enumerable.Range(0, ranks - 1).Select(_ => rng.Next(all.Length + 1)).Order().ToList();
        cuts.Insert(0, 0);
        cuts.Add(all.Length);
        return Enumerable.Range(0, ranks).Select(r => all[cuts[r]..cuts[r + 1]]).ToArray();
    }

    private static void AssertSameThreshold(float[][] parts, string what)
    {
        foreach (double alpha in Alphas)
        {
            float expected = Single(parts, alpha), actual = Global(parts, alpha);
            // == treats −0 and +0 as equal, as the keep rule (score ≥ threshold) does.
            Assert.True(expected == actual || (float.IsNegativeInfinity(expected) && float.IsNegativeInfinity(actual)),
                $"{what}, alpha {alpha}: single-process VaR {expected:R}, global {actual:R}");
            var all = parts.SelectMany(p => p).ToArray();
            Assert.Equal(all.Count(s => s >= expected), all.Count(s => s >= actual));
        }
    }

    [Fact]
    public void Keys_preserve_float_order_and_round_trip()
    {
        var rng = new Random(1);
        float[] specials = [float.NegativeInfinity, -float.MaxValue, -1e30f, -1f, -float.Epsilon, -0f, 0f, float.Epsilon, 1e-40f, 1f, float.MaxValue, float.PositiveInfinity];
        var values = specials.Concat(Enumerable.Range(0, 2000).Select(_ => BitConverter.Int32BitsToSingle(rng.Next(int.MinValue, int.MaxValue))))
            .Where(v => !float.IsNaN(v)).ToArray();
        foreach (float a in values)
        {
            Assert.True(GlobalValueAtRisk.FloatOf(GlobalValueAtRisk.KeyOf(a)) == a);
            foreach (float b in specials)
                Assert.Equal(a < b ? -1 : a > b ? 1 : 0, Math.Sign(GlobalValueAtRisk.KeyOf(a).CompareTo(GlobalValueAtRisk.KeyOf(b))));
        }
    }

    [Fact]
    public void Global_threshold_equals_the_single_process_threshold_on_continuous_scores()
    {
        var rng = new Random(2);
        foreach (int ranks in new[] { 1, 2, 3, 4 })
        foreach (int n in new[] { 1, 2, 7, 100, 1000 })
        {
            var all = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 20 - 5)).ToArray();
            AssertSameThreshold(Split(all, ranks, rng), $"{ranks} ranks, {n} scores");
        }
    }

    [Fact]
    public void Global_threshold_equals_the_single_process_threshold_with_many_ties()
    {
        var rng = new Random(3);
        foreach (int ranks in new[] { 2, 3 })
        {
            AssertSameThreshold(Split(Enumerable.Range(0, 500).Select(_ => (float)rng.Next(4)).ToArray(), ranks, rng), "four distinct values");
            AssertSameThreshold(Split(Enumerable.Repeat(2.5f, 64).ToArray(), ranks, rng), "all equal");
            AssertSameThreshold(Split(Enumerable.Range(0, 300).Select(_ => rng.Next(3) == 0 ? 0f : -0f).ToArray(), ranks, rng), "signed zeros");
        }
    }

    [Fact]
    public void Global_threshold_equals_the_single_process_threshold_on_extreme_values()
    {
        var rng = new Random(4);
        float[] specials = [float.NegativeInfinity, -float.MaxValue, -1e-40f, -float.Epsilon, -0f, 0f, float.Epsilon, 1e-40f, 1e-38f, 3e38f,
            float.MaxValue, float.PositiveInfinity, 1f, 1.0000001f, 0.99999994f];
        foreach (int ranks in new[] { 2, 4 })
        {
            var all = Enumerable.Range(0, 400).Select(_ => specials[rng.Next(specials.Length)]).ToArray();
            AssertSameThreshold(Split(all, ranks, rng), $"{ranks} ranks of extreme values");
        }
    }

    [Fact]
    public void Alpha_zero_gives_minus_infinity_on_every_rank()
    {
        var parts = new[] { new[] { 1f, 2f }, new[] { float.NegativeInfinity }, Array.Empty<float>() };
        Assert.Equal(float.NegativeInfinity, Global(parts, 0));
    }

    [Fact]
    public void Ranks_without_scores_take_part()
    {
        var parts = new[] { Array.Empty<float>(), new[] { 3f, 1f, 2f }, Array.Empty<float>() };
        Assert.Equal(2f, Global(parts, 0.5)); // ⌈0.5·3⌉ = 2nd smallest of {1, 2, 3}
        Assert.Equal(float.NegativeInfinity, Global([[], []], 0.5)); // no scores anywhere: rank 0, no threshold
    }

    [Fact]
    public void A_NaN_score_on_one_rank_fails_every_rank()
    {
        var ranks = new InProcessRanks(2);
        var failures = ranks.Run(p =>
        {
            try { p.GlobalThreshold(p.Rank == 1 ? [1f, float.NaN] : [2f], ThresholdRule.OfAlpha(0.5)); return false; }
            catch (InvalidOperationException) { return true; }
        });
        Assert.All(failures, Assert.True);
    }

    [Fact]
    public void Communication_is_four_fixed_size_allreduces_whatever_the_token_count()
    {
        var rng = new Random(5);
        foreach (int n in new[] { 10, 100_000 })
        {
            var ranks = new InProcessRanks(2);
            var all = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble()).ToArray();
            Global(Split(all, 2, rng), 0.5, ranks);
            Assert.Equal(4, ranks.DoubleReductions);
            Assert.Equal(GlobalValueAtRisk.DoublesExchanged, ranks.DoublesReduced);
        }
    }

    [Fact]
    public void Single_process_global_threshold_matches_value_at_risk()
    {
        var rng = new Random(6);
        var scores = Enumerable.Range(0, 333).Select(_ => (float)rng.Next(50) / 7f).ToArray();
        uint[]? keys = null;
        foreach (double alpha in Alphas)
            Assert.Equal(ValueAtRisk.Threshold(scores, alpha, new float[scores.Length]),
                GlobalValueAtRisk.Threshold(scores, alpha, SingleProcess.Instance, ref keys));
    }

    [Fact]
    public void Global_keep_top_k_over_ranks_equals_the_single_process_threshold()
    {
        var rng = new Random(12);
        var all = Enumerable.Range(0, 400).Select(_ => (float)rng.Next(60) / 3f).ToArray();
        foreach (double keep in new[] { 0.05, 0.25, 0.5, 0.6, 1.0 })
        {
            var rule = ThresholdRule.OfKeep(keep);
            float expected = ValueAtRisk.Threshold(all, rule, new float[all.Length]);
            var parts = Split(all, 3, rng);
            var ranks = new InProcessRanks(3);
            var results = ranks.Run(p => p.GlobalThreshold(parts[p.Rank], rule));
            Assert.All(results, r => Assert.Equal(expected, r));
        }
    }
}
