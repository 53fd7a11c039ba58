using System.Text.Json.Nodes;
using Eslm.Data;

namespace Eslm.Distributed;

/// <summary>
/// A rank's slice of a validation sample: as <see cref="RankSlicedSource"/>, every rank draws the same global batch of
/// P·B sequences and evaluates rows r·B … r·B+B−1, and here their weights too. The counts stay the global sample's;
/// Trainer.Evaluate sums the weighted losses and the weights over ranks, so P ranks measure what one process measures.
/// </summary>
public sealed class RankSlicedValidation : IValidationSource, IDisposable
{
    private readonly IValidationSource _global;
    private readonly int _rank, _size;
    private readonly int[] _inputs, _targets;
    private readonly float[] _weights;

    /// <param name="global">The sample's global batches (its batch size must be a multiple of <paramref name="size"/>).</param>
    public RankSlicedValidation(IValidationSource global, int rank, int size)
    {
        if (size < 1 || rank < 0 || rank >= size) throw new ArgumentException($"rank {rank} is not in [0, {size})");
        if (global.BatchSize % size != 0)
            throw new ArgumentException($"global validation batch of {global.BatchSize} sequences does not split into {size} equal rank slices");
        _global = global;
        _rank = rank;
        _size = size;
        int tokens = global.BatchSize * global.SequenceLength;
        _inputs = new int[tokens];
        _targets = new int[tokens];
        _weights = new float[tokens];
    }

    public int BatchSize => _global.BatchSize / _size;
    public int SequenceLength => _global.SequenceLength;
    public int BatchCount => _global.BatchCount;
    public long SampleTargets => _global.SampleTargets;
    public long SplitTargets => _global.SplitTargets;

    public void NextBatch(Span<int> inputs, Span<int> targets) => NextBatch(inputs, targets, default);

    public void NextBatch(Span<int> inputs, Span<int> targets, Span<float> weights)
    {
        _global.NextBatch(_inputs, _targets, _weights);
        int n = BatchSize * SequenceLength, offset = _rank * n;
        _inputs.AsSpan(offset, n).CopyTo(inputs);
        _targets.AsSpan(offset, n).CopyTo(targets);
        if (!weights.IsEmpty) _weights.AsSpan(offset, n).CopyTo(weights);
    }

    public JsonObject SaveState() => _global.SaveState();

    public void RestoreState(JsonObject state) => _global.RestoreState(state);

    public void Dispose() => (_global as IDisposable)?.Dispose();
}
