using System.Text.Json.Nodes;

namespace Eslm.Data;

/// <summary>
/// Deterministic validation batches that cover every token of a split exactly once as a target:
/// S = ceil((N-1)/T) sequences; sequence k starts at k·T, except the last, which starts at N-1-T so it ends exactly at the
/// final token (it overlaps its predecessor): <see cref="TokenWindows"/> with <see cref="WindowTail.Overlap"/>. Batches = ceil(S/B); a partial last batch is filled with the first sequences
/// again. <see cref="NextBatch(Span{int}, Span{int}, Span{float})"/> gives a weight per target (1 for a target's first
/// appearance, 0 for overlaps and fill), so the weighted mean over <see cref="BatchCount"/> batches is exactly the mean
/// over all N-1 targets. After the last batch the stream starts again from the first.
/// </summary>
public sealed class ValidationLoader : IBatchSource, IDisposable
{
    private readonly TokenSequence _source;
    private readonly bool _owns;
    private readonly int[] _row;
    private readonly long[] _rowStarts;
    private long _next; // next batch index in [0, BatchCount)

    public int BatchSize { get; }
    public int SequenceLength { get; }
    public TokenSequence Source => _source;
    public long SequenceCount { get; }
    public int BatchCount { get; }
    /// <summary>Targets covered (N - 1): the sum of the weights over one pass.</summary>
    public long TargetCount => _source.Count - 1;
    /// <summary>Start positions of the last batch's rows.</summary>
    public ReadOnlySpan<long> RowStarts => _rowStarts;

    public ValidationLoader(TokenSequence source, int batchSize, int sequenceLength, bool ownsSource = false)
    {
        if (batchSize < 1 || sequenceLength < 1) throw new ArgumentException($"batch size and sequence length must be >= 1 (got {batchSize}, {sequenceLength})");
        if (source.Count < sequenceLength + 1)
            throw new InvalidDataException($"{source.Path}: split '{source.Split}' has {source.Count} tokens, fewer than sequence length + 1 = {sequenceLength + 1}");
        _source = source;
        _owns = ownsSource;
        BatchSize = batchSize;
        SequenceLength = sequenceLength;
        SequenceCount = TokenWindows.Count(source.Count - 1, sequenceLength);
        long batches = (SequenceCount + batchSize - 1) / batchSize;
        if (batches > int.MaxValue) throw new InvalidDataException($"{source.Path}: too many validation batches ({batches})");
        BatchCount = (int)batches;
        _row = new int[sequenceLength + 1];
        _rowStarts = new long[batchSize];
    }

    public static ValidationLoader Open(string path, string split, int batchSize, int sequenceLength)
    {
        var source = TokenSequence.Open(path, split);
        try { return new ValidationLoader(source, batchSize, sequenceLength, ownsSource: true); }
        catch { source.Dispose(); throw; }
    }

    /// <summary>Back to the first batch.</summary>
    public void Reset() => _next = 0;

    public void NextBatch(Span<int> inputs, Span<int> targets) => NextBatch(inputs, targets, default);

    /// <param name="weights">Optional, B·T: 1 where the target is counted, 0 where it repeats an earlier one.</param>
    public void NextBatch(Span<int> inputs, Span<int> targets, Span<float> weights)
    {
        int B = BatchSize, T = SequenceLength;
        long S = SequenceCount;
        for (int b = 0; b < B; b++)
        {
            long k = _next * B + b;
            bool fill = k >= S;
            k %= S;
            var window = TokenWindows.Get(k, TargetCount, T, WindowTail.Overlap);
            long start = window.Start;
            _source.CopyTo(start, _row);
            _row.AsSpan(0, T).CopyTo(inputs.Slice(b * T, T));
            _row.AsSpan(1, T).CopyTo(targets.Slice(b * T, T));
            _rowStarts[b] = start;
            if (weights.IsEmpty) continue;
            for (int t = 0; t < T; t++)
                weights[b * T + t] = !fill && window.IsNew(t) ? 1f : 0f;
        }
        _next = (_next + 1) % BatchCount;
    }

    public JsonObject SaveState() => new() { ["kind"] = "eslm-validation-loader", ["next_batch"] = _next };

    public void RestoreState(JsonObject state)
    {
        long next = (long?)state["next_batch"] ?? throw new InvalidDataException("validation-loader state has no next_batch");
        if (next < 0 || next >= BatchCount) throw new InvalidDataException($"validation-loader state: batch {next} is outside [0, {BatchCount})");
        _next = next;
    }

    public void Dispose()
    {
        if (_owns) _source.Dispose();
    }
}
