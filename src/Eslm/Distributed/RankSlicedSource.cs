using System.Text.Json.Nodes;
using Eslm.Data;

namespace Eslm.Distributed;

/// <summary>
/// Each rank's shard of the data: every rank draws the same <em>global</em> batch of P·B sequences from its own copy of
/// the same source (same seed, same position), and trains on its contiguous slice of B sequences, rows r·B … r·B+B−1.
/// <para>So P ranks with batch B see exactly the batches of one process with batch P·B (the property the equivalence
/// tests check), for any <see cref="IBatchSource"/> (random tokens or dataset shards), and the data position in a
/// checkpoint is the same on every rank, so rank 0's checkpoint resumes all of them. The cost is that each rank reads
/// (or generates) the P·B·T tokens of the global batch: 2 bytes a token from a memory-mapped shard, negligible next to
/// the step's compute.</para>
/// </summary>
public sealed class RankSlicedSource : IPositionedBatchSource, ITokenSources, IDisposable
{
    private readonly IBatchSource _global;
    private readonly int _rank, _size;
    private readonly int[] _inputs, _targets;

    /// <param name="global">Source of global batches (its batch size must be a multiple of <paramref name="size"/>).</param>
    public RankSlicedSource(IBatchSource global, int rank, int size)
    {
        if (size < 1 || rank < 0 || rank >= size) throw new ArgumentException($"rank {rank} is not in [0, {size})");
        if (global.BatchSize % size != 0)
            throw new ArgumentException($"global batch of {global.BatchSize} sequences does not split into {size} equal rank slices");
        _global = global;
        _rank = rank;
        _size = size;
        int tokens = global.BatchSize * global.SequenceLength;
        _inputs = new int[tokens];
        _targets = new int[tokens];
    }

    public int BatchSize => _global.BatchSize / _size;

    public IReadOnlyList<TokenSequence> TokenSources => (_global as ITokenSources)?.TokenSources ?? [];
    public int SequenceLength => _global.SequenceLength;

    public void NextBatch(Span<int> inputs, Span<int> targets)
    {
        _global.NextBatch(_inputs, _targets);
        int n = BatchSize * SequenceLength, offset = _rank * n;
        _inputs.AsSpan(offset, n).CopyTo(inputs);
        _targets.AsSpan(offset, n).CopyTo(targets);
    }

    /// <summary>Positions of this rank's rows (when the global source knows them; empty otherwise).</summary>
    public ReadOnlySpan<long> RowStarts => _global is IPositionedBatchSource p ? p.RowStarts.Slice(_rank * BatchSize, BatchSize) : default;
    public ReadOnlySpan<int> RowSources => _global is IPositionedBatchSource p ? p.RowSources.Slice(_rank * BatchSize, BatchSize) : default;

    public JsonObject SaveState() => _global.SaveState();

    public void RestoreState(JsonObject state) => _global.RestoreState(state);

    /// <summary>Disposes the global source when it holds resources (memory-mapped shards).</summary>
    public void Dispose() => (_global as IDisposable)?.Dispose();
}
