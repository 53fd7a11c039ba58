using Eslm.Data;
using Xunit;

namespace Eslm.Tests.Data;

/// <summary>The periodic validation's sample (issue 14): fixed, spread over the whole split, exact weights.</summary>
public class ValidationSampleTests : DataTestBase
{
    /// <summary>A split whose token at position p is p, so a row's tokens say where it starts.</summary>
    private string Split(int tokens)
    {
        string path = Path.Combine(Dir, $"split-{tokens}.bin");
        TokenShard.Write(path, Enumerable.Range(0, tokens).Select(p => (ushort)p).ToArray());
        return path;
    }

    [Fact]
    public void The_sample_draws_one_window_from_each_of_n_equal_strata_the_same_every_time()
    {
        long S = 1000, n = 37;
        var sample = ValidationSample.Windows(S, n);
        Assert.Equal(n, sample.LongLength);
        for (long i = 0; i < n; i++)
        {
            Assert.InRange(sample[i], i * S / n, (i + 1) * S / n - 1);
            if (i > 0) Assert.True(sample[i] > sample[i - 1], "ascending, so distinct");
        }
        Assert.Equal(sample, ValidationSample.Windows(S, n));
        Assert.NotEqual(Enumerable.Range(0, (int)n).Select(i => (long)i), sample); // not the first n windows
    }

    [Theory]
    [InlineData(10, 10)]
    [InlineData(10, 25)]
    public void A_sample_at_least_as_large_as_the_split_is_every_window(long windows, long size) =>
        Assert.Equal(Enumerable.Range(0, (int)windows).Select(k => (long)k), ValidationSample.Windows(windows, size));

    [Fact]
    public void A_sample_of_K_batches_holds_K_times_B_distinct_windows_spread_over_the_split_and_repeats_them_every_pass()
    {
        const int N = 5003, B = 3, T = 16, K = 4; // S = ceil(5002 / 16) = 313 windows, 12 sampled
        string split = Split(N);
        using var val = DataLoader.OpenValidation(split, "train", B, T, K);
        using var again = DataLoader.OpenValidation(split, "train", B, T, K);
        Assert.Equal(313L, val.SequenceCount);
        Assert.Equal(K, val.BatchCount);
        Assert.Equal((long)K * B, val.SampleCount);
        Assert.Equal((long)K * B * T, val.SampleTargets);
        Assert.Equal(N - 1L, val.SplitTargets);
        var expected = ValidationSample.Windows(313, K * B).Select(k => TokenWindows.Get(k, N - 1, T, WindowTail.Overlap).Start).ToList();

        var starts = new List<long>();
        var x = new int[B * T]; var y = new int[B * T]; var w = new float[B * T];
        var x2 = new int[B * T]; var y2 = new int[B * T];
        for (int pass = 0; pass < 2; pass++)
            for (int i = 0; i < K; i++)
            {
                val.NextBatch(x, y, w);
                again.NextBatch(x2, y2);
                Assert.Equal(x, x2);
                for (int b = 0; b < B; b++)
                {
                    Assert.Equal(val.RowStarts[b], x[b * T]);
                    Assert.Equal(x[b * T] + T, y[b * T + T - 1]);
                    if (pass == 0) starts.Add(val.RowStarts[b]);
                    else Assert.Equal(starts[i * B + b], val.RowStarts[b]);
                }
                Assert.All(w, v => Assert.Equal(1f, v));
            }
        Assert.Equal(expected, starts);
        Assert.True(starts[^1] > N / 2, "the sample reaches the end of the split, not only its first windows");
    }

    [Theory]
    [InlineData(161, 16, 1)]  // S = 10 windows, the last overlapping its predecessor by 6 targets
    [InlineData(161, 16, 3)]
    [InlineData(160, 16, 2)]  // 159 targets: the last window overlaps by 1
    [InlineData(161, 8, 1)]   // 20 windows: the tail overlaps by 0
    public void The_weights_count_every_distinct_target_of_the_batches_once_for_every_sample_size(int tokens, int T, int B)
    {
        string split = Split(tokens);
        long S = TokenWindows.Count(tokens - 1, T);
        for (int K = 1; K <= (S + B - 1) / B + 1; K++)
        {
            using var val = DataLoader.OpenValidation(split, "train", B, T, K);
            var counted = new int[tokens];
            var seen = new HashSet<int>();
            var x = new int[B * T]; var y = new int[B * T]; var w = new float[B * T];
            double weightSum = 0;
            for (int i = 0; i < val.BatchCount; i++)
            {
                val.NextBatch(x, y, w);
                for (int j = 0; j < B * T; j++)
                {
                    seen.Add(y[j]); // the token is its position
                    if (w[j] == 1f) counted[y[j]]++;
                    weightSum += w[j];
                }
            }
            Assert.Equal((double)seen.Count, weightSum);
            Assert.Equal((double)val.SampleTargets, weightSum);
            Assert.All(seen, p => Assert.Equal(1, counted[p]));
            if ((long)K * B >= S)
            {
                Assert.Equal((int)((S + B - 1) / B), val.BatchCount); // the whole split, as before issue 14
                Assert.Equal(tokens - 1L, val.SampleTargets);
            }
            else Assert.Equal((long)K * B * T, val.SampleTargets);
        }
    }
}
