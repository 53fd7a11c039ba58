using Eslm.Selection;
using Xunit;

namespace Eslm.Tests.Selection;

public class ValueAtRiskTests
{
    [Theory]
    [InlineData(1, 0.5)]
    [InlineData(7, 0.3)]
    [InlineData(100, 0.5)]
    [InlineData(1000, 0.9)]
    [InlineData(2049, 0.25)]
    public void Threshold_equals_the_ceil_alpha_M_th_smallest_of_a_sorted_copy_with_ties(int m, double alpha)
    {
        var rng = new Random(m);
        for (int trial = 0; trial < 20; trial++)
        {
            // Few distinct values, so ties are everywhere.
            var scores = Enumerable.Range(0, m).Select(_ => (float)rng.Next(0, 1 + m / 4)).ToArray();
            var sorted = scores.Order().ToArray();
            int k = (int)Math.Ceiling(alpha * m);
            float expected = k == 0 ? float.NegativeInfinity : sorted[k - 1];
            Assert.Equal(expected, ValueAtRisk.Threshold(scores, alpha, new float[m]));
        }
    }

    [Fact]
    public void Keep_top_k_keeps_exactly_ceil_kM_distinct_scores_as_the_random_control_does()
    {
        // Rho-1's rule: VaR at α = 1 − k kept one token more whenever kM is whole (0.5 of 16: 9 tokens).
        var rng = new Random(11);
        foreach (int m in new[] { 1, 2, 7, 10, 16, 64, 100, 2048 })
            foreach (double keep in new[] { 0.01, 0.1, 0.25, 0.3, 0.5, 0.6, 0.7, 0.75, 0.9, 0.99, 1.0 })
            {
                var scores = Enumerable.Range(0, m).Select(i => (float)i).OrderBy(_ => rng.Next()).ToArray();
                float threshold = ValueAtRisk.Threshold(scores, ThresholdRule.OfKeep(keep), new float[m]);
                int kept = ValueAtRisk.Keep(scores, threshold, new bool[m]);
                int expected = Math.Max(1, (int)Math.Round(Math.Ceiling(Math.Round(keep * m, 9))));
                Assert.True(expected == kept, $"keep {keep} of {m}: kept {kept}, expected {expected}");
            }
    }

    [Fact]
    public void Keep_top_k_keeps_every_score_tied_with_the_threshold()
    {
        float[] scores = [1, 2, 2, 2, 3];
        float threshold = ValueAtRisk.Threshold(scores, ThresholdRule.OfKeep(0.4), new float[5]); // top 2: 3 and a 2
        Assert.Equal(2f, threshold);
        Assert.Equal(4, ValueAtRisk.Keep(scores, threshold, new bool[5]));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Keep_top_k_outside_zero_one_is_refused(double keep) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ThresholdRule.OfKeep(keep));

    [Fact]
    public void Select_finds_every_rank_of_random_vectors()
    {
        var rng = new Random(3);
        for (int trial = 0; trial < 50; trial++)
        {
            int m = rng.Next(1, 300);
            var a = Enumerable.Range(0, m).Select(_ => (float)rng.NextDouble()).ToArray();
            var sorted = a.Order().ToArray();
            int index = rng.Next(m);
            Assert.Equal(sorted[index], ValueAtRisk.Select(a.ToArray(), index));
        }
    }

    [Fact]
    public void Alpha_zero_keeps_every_token()
    {
        var scores = new float[] { 3, -1, 2, 2, 0 };
        float t = ValueAtRisk.Threshold(scores, 0, new float[5]);
        var keep = new bool[5];
        Assert.Equal(5, ValueAtRisk.Keep(scores, t, keep));
    }

    [Fact]
    public void Ties_at_the_threshold_are_all_kept()
    {
        var scores = new float[] { 1, 2, 2, 2, 3 };
        float t = ValueAtRisk.Threshold(scores, 0.4, new float[5]); // k = 2 → second smallest = 2
        Assert.Equal(2f, t);
        var keep = new bool[5];
        Assert.Equal(4, ValueAtRisk.Keep(scores, t, keep));
        Assert.False(keep[0]);
    }

    [Fact]
    public void At_least_one_token_is_kept_for_alpha_just_below_one()
    {
        var scores = Enumerable.Range(0, 10).Select(i => (float)i).ToArray();
        float t = ValueAtRisk.Threshold(scores, 0.999, new float[10]);
        var keep = new bool[10];
        Assert.Equal(1, ValueAtRisk.Keep(scores, t, keep));
        Assert.True(keep[9]);
    }

    [Fact]
    public void Kept_token_mean_of_loss_scores_is_the_empirical_CVaR()
    {
        var rng = new Random(11);
        var losses = Enumerable.Range(0, 1000).Select(_ => (float)(rng.NextDouble() * 10)).ToArray();
        const double alpha = 0.7;
        // CVaR from its definition: the mean of the M − ⌈αM⌉ + 1 largest losses (no ties in continuous data).
        var sorted = losses.OrderDescending().ToArray();
        int tail = losses.Length - (int)Math.Ceiling(alpha * losses.Length) + 1;
        double cvar = sorted.Take(tail).Select(x => (double)x).Average();
        float t = ValueAtRisk.Threshold(losses, alpha, new float[1000]);
        var keep = new bool[1000];
        int kept = ValueAtRisk.Keep(losses, t, keep);
        double keptMean = losses.Where((_, i) => keep[i]).Select(x => (double)x).Average();
        Assert.Equal(tail, kept);
        Assert.Equal(cvar, keptMean, 1e-9);
        Assert.Equal(cvar, ValueAtRisk.ConditionalValueAtRisk(losses, alpha, new float[1000]), 1e-9);
    }

    [Fact]
    public void NaN_scores_are_rejected_with_a_clear_message()
    {
        var e = Assert.Throws<InvalidOperationException>(() => ValueAtRisk.Threshold(new[] { 1f, float.NaN }, 0.5, new float[2]));
        Assert.Contains("NaN", e.Message);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    public void Alpha_outside_zero_one_is_rejected(double alpha) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ValueAtRisk.Rank(alpha, 10));
}
