using Eslm.Distributed;
using Eslm.Selection;

namespace Eslm.Training;

/// <summary>
/// Collects what one optimizer step selected — every token's loss, the keep marks, each scope's threshold — and
/// summarises it for the metrics. With several processes (issue 8) every count and sum is over all processes, FLOPs are
/// the job's totals, the CVaR is exact over all tokens (global VaR of the losses), and the threshold is the mean over
/// all processes' scopes.
/// </summary>
public sealed class StepStatistics(int capacity)
{
    private readonly float[] _losses = new float[capacity], _scratch = new float[capacity];
    private readonly List<float> _thresholds = new();

    /// <summary>Student losses of the step's tokens, in micro-batch order.</summary>
    public Span<float> Losses => _losses;

    public void AddThreshold(float threshold) => _thresholds.Add(threshold);

    public SelectionStepStats Summarise(ReadOnlySpan<bool> keep, int count, long originalTokens, double alpha, double accounted, ref long executed,
        IDistributed processes)
    {
        var losses = _losses.AsSpan(0, count);
        keep = keep[..count];
        double all = 0, keptSum = 0; long kept = 0;
        for (int i = 0; i < count; i++)
        {
            all += losses[i];
            if (keep[i]) { keptSum += losses[i]; kept++; }
        }
        double thresholds = 0; int finite = 0;
        foreach (float t in _thresholds) if (float.IsFinite(t)) { thresholds += t; finite++; }
        _thresholds.Clear();
        double cvar;
        if (processes.Size == 1)
            cvar = ValueAtRisk.ConditionalValueAtRisk(losses, alpha, _scratch);
        else
        {
            float var = processes.GlobalThreshold(losses, ThresholdRule.OfAlpha(alpha));
            double tailSum = 0, tailCount = 0;
            foreach (float l in losses) if (l >= var) { tailSum += l; tailCount++; }
            Span<double> sums = [all, keptSum, kept, count, originalTokens, thresholds, finite, accounted, executed, tailSum, tailCount];
            processes.AllReduceSum(sums);
            (all, keptSum, kept, count, originalTokens) = (sums[0], sums[1], (long)sums[2], (int)sums[3], (long)sums[4]);
            (thresholds, finite, accounted, executed) = (sums[5], (int)sums[6], sums[7], (long)sums[8]);
            cvar = sums[10] == 0 ? double.NaN : sums[9] / sums[10];
        }
        return new SelectionStepStats
        {
            Alpha = alpha, Threshold = finite == 0 ? double.NaN : thresholds / finite,
            KeptFraction = (double)kept / originalTokens, KeptTokens = kept, AllTokens = originalTokens,
            LossAll = all / count, LossKept = kept == 0 ? double.NaN : keptSum / kept,
            Cvar = cvar, FlopsAccounted = accounted,
        };
    }
}
