using System.Text.Json.Nodes;

namespace Eslm.Data;

/// <summary>
/// Where training batches come from. A batch is B sequences of T input tokens and their T next-token targets,
/// row-major [B,T]. The position/RNG state round-trips through checkpoints so that resume is exact.
/// </summary>
public interface IBatchSource
{
    int BatchSize { get; }
    int SequenceLength { get; }

    /// <summary>Fills inputs and targets (each B·T long) with the next batch.</summary>
    void NextBatch(Span<int> inputs, Span<int> targets);

    /// <summary>Everything needed to continue the same stream of batches later.</summary>
    JsonObject SaveState();

    void RestoreState(JsonObject state);
}
