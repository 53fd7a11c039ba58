using Eslm.Distributed;
using Eslm.Selection;
using Eslm.Training;
using Xunit;

namespace Eslm.Tests.Training;

/// <summary>What one step's metrics say about its selection: means, kept fraction, mean threshold and CVaR, hand-computed.</summary>
public class StepStatisticsTests
{
    private static readonly float[] Losses = [1, 2, 3, 4, 5, 6, 7, 8];
    private static readonly bool[] Keep = [false, false, false, false, true, true, true, true];

    private static StepStatistics Filled()
    {
        var s = new StepStatistics(Losses.Length);
        Losses.CopyTo(s.Losses);
        return s;
    }

    [Fact]
    public void One_process_summarises_means_fractions_thresholds_and_cvar()
    {
        var s = Filled();
        s.AddThreshold(4.5f); s.AddThreshold(float.NegativeInfinity); s.AddThreshold(6.5f); // −∞ (nothing dropped) is left out
        long executed = 7;
        var stats = s.Summarise(Keep, Losses.Length, originalTokens: 10, alpha: 0.5, accounted: 123, ref executed, SingleProcess.Instance);
        Assert.Equal(4.5, stats.LossAll, 1e-12);
        Assert.Equal(6.5, stats.LossKept, 1e-12);
        Assert.Equal(4, stats.KeptTokens);
        Assert.Equal(0.4, stats.KeptFraction, 1e-12); // of the original tokens (10: two were padding / filtered)
        Assert.Equal(5.5, stats.Threshold, 1e-12);
        Assert.Equal(ValueAtRisk.ConditionalValueAtRisk(Losses, 0.5, new float[8]), stats.Cvar, 1e-12);
        Assert.Equal(123, stats.FlopsAccounted);
        Assert.Equal(7, executed);
    }

    [Fact]
    public void No_finite_threshold_and_nothing_kept_give_NaN_not_zero()
    {
        var s = Filled();
        long executed = 0;
        var stats = s.Summarise(new bool[8], 8, 8, 0.5, 0, ref executed, SingleProcess.Instance);
        Assert.True(double.IsNaN(stats.Threshold));
        Assert.True(double.IsNaN(stats.LossKept));
        Assert.Equal(0, stats.KeptFraction);
    }

    [Fact]
    public void Thresholds_are_cleared_between_steps()
    {
        var s = Filled();
        long executed = 0;
        s.AddThreshold(100f);
        s.Summarise(Keep, 8, 8, 0.5, 0, ref executed, SingleProcess.Instance);
        Assert.True(double.IsNaN(s.Summarise(Keep, 8, 8, 0.5, 0, ref executed, SingleProcess.Instance).Threshold));
    }

    /// <summary>Two processes holding the same tokens: every sum doubles, so the means equal one process's and the totals double.</summary>
    private sealed class TwinProcesses : IDistributed
    {
        public int Rank => 0;
        public int Size => 2;
        public void AllReduceSum(Span<float> values) { foreach (ref float v in values) v *= 2; }
        public void AllReduceSum(Span<double> values) { foreach (ref double v in values) v *= 2; }
        public float GlobalThreshold(ReadOnlySpan<float> localScores, ThresholdRule rule) => SingleProcess.Instance.GlobalThreshold(localScores, rule);
    }

    [Fact]
    public void Several_processes_sum_counts_and_flops_and_keep_the_means()
    {
        var s = Filled();
        s.AddThreshold(4.5f);
        long executed = 7;
        var stats = s.Summarise(Keep, 8, 8, 0.5, accounted: 100, ref executed, new TwinProcesses());
        Assert.Equal(4.5, stats.LossAll, 1e-12);
        Assert.Equal(6.5, stats.LossKept, 1e-12);
        Assert.Equal(8, stats.KeptTokens);
        Assert.Equal(16, stats.AllTokens);
        Assert.Equal(0.5, stats.KeptFraction, 1e-12);
        Assert.Equal(4.5, stats.Threshold, 1e-12);
        Assert.Equal(6.0, stats.Cvar, 1e-12); // VaR_0.5 = the ⌈0.5·16⌉-th smallest = 4; the tail 4..8 on both processes
        Assert.Equal(200, stats.FlopsAccounted);
        Assert.Equal(14, executed);
    }
}
