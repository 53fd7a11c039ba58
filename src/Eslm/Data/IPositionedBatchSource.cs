namespace Eslm.Data;

/// <summary>
/// A batch source that can say where its last batch came from: row b's inputs are tokens RowStarts[b] … RowStarts[b]+T−1
/// of dataset RowSources[b] (a split's tokens, shards concatenated). Rho-1 uses it to look up precomputed reference losses.
/// </summary>
public interface IPositionedBatchSource : IBatchSource
{
    ReadOnlySpan<long> RowStarts { get; }
    ReadOnlySpan<int> RowSources { get; }
}
