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
    /// VaR_α over the concatenation of every rank's scores: the ⌈αM⌉-th smallest of all M = Σ ranks' counts, exactly,
    /// without gathering the scores (−∞ when the rank is 0).
    /// </summary>
    float GlobalThreshold(ReadOnlySpan<float> localScores, double alpha);
}

/// <summary>One process: collectives are the identity, the global threshold is the local one.</summary>
public sealed class SingleProcess : IDistributed
{
    public static readonly SingleProcess Instance = new();

    public int Rank => 0;
    public int Size => 1;

    public void AllReduceSum(Span<float> values) { }

    public void AllReduceSum(Span<double> values) { }

    public float GlobalThreshold(ReadOnlySpan<float> localScores, double alpha) =>
        Selection.ValueAtRisk.Threshold(localScores, alpha, new float[localScores.Length]);
}
