using Eslm.Selection;

namespace Eslm.Distributed;

/// <summary>
/// Data-parallel communication as the trainer needs it (issue 8 implements it on Open MPI). A single process uses
/// <see cref="SingleProcess"/>, where every collective is the identity.
/// </summary>
public interface IDistributed
{
    int Rank { get; }
    int Size { get; }

    /// <summary>In place: every rank's values become the element-wise sum over ranks.</summary>
    void AllReduceSum(Span<float> values);

    /// <summary>In place, double precision (counts, loss sums, histograms).</summary>
    void AllReduceSum(Span<double> values);

    /// <summary>
    /// The threshold of <paramref name="rule"/> over the concatenation of every rank's scores (VaR_α: the ⌈αM⌉-th smallest
    /// of all M = Σ ranks' counts), exactly, without gathering the scores (−∞ when the rank is 0).
    /// </summary>
    float GlobalThreshold(ReadOnlySpan<float> localScores, ThresholdRule rule);
}

/// <summary>One process: collectives are the identity, the global threshold is the local one.</summary>
public sealed class SingleProcess : IDistributed
{
    public static readonly SingleProcess Instance = new();

    public int Rank => 0;
    public int Size => 1;

    public void AllReduceSum(Span<float> values) { }

    public void AllReduceSum(Span<double> values) { }

    public float GlobalThreshold(ReadOnlySpan<float> localScores, ThresholdRule rule) =>
        ValueAtRisk.Threshold(localScores, rule, new float[localScores.Length]);
}
