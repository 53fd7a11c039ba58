namespace Eslm.Data;

/// <summary>
/// A periodic validation's batches: a fixed sample of a split (the same batches on every pass) with a weight per target,
/// so the weighted mean loss over <see cref="BatchCount"/> batches is the mean over the sample's distinct targets.
/// </summary>
public interface IValidationSource : IBatchSource
{
    /// <summary>Batches in one pass over the sample.</summary>
    int BatchCount { get; }

    /// <summary>Distinct targets the sample counts: the sum of the weights over one pass.</summary>
    long SampleTargets { get; }

    /// <summary>Targets in the whole split the sample is drawn from (N − 1 for N tokens).</summary>
    long SplitTargets { get; }

    /// <param name="weights">B·T: 1 where the target counts, 0 where an earlier row of the pass already counted it or
    /// the row only fills a partial last batch.</param>
    void NextBatch(Span<int> inputs, Span<int> targets, Span<float> weights);
}
