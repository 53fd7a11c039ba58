using System.Text.Json.Nodes;

namespace Eslm.Data;

/// <summary>
/// Deterministic validation batches of a split: S = ceil((N-1)/T) sequences; sequence k starts at k·T, except the last,
/// which starts at N-1-T so it ends exactly at the final token (it overlaps its predecessor): <see cref="TokenWindows"/>
/// with <see cref="WindowTail.Overlap"/>.
/// <para>With a sample of K batches and K·B &lt; S, the batches hold K·B sequences spread over the whole split, one per
/// stratum (<see cref="ValidationSample"/>), in split order; otherwise every sequence, ceil(S/B) batches, a partial last
/// batch filled with the first sequences again.</para>
/// <see cref="NextBatch(Span{int}, Span{int}, Span{float})"/> gives a weight per target: 0 for fill and for the targets
/// the last sequence shares with its predecessor, 1 otherwise; so the weighted mean over <see cref="BatchCount"/> batches
/// is exactly the mean over the <see cref="SampleTargets"/> distinct targets (all N-1 for the whole split). A sample
/// never holds both the last sequence and its predecessor (the last stratum holds both, as n &lt; S), so its K·B·T
/// targets are all distinct and all count. After the last batch the stream starts again from the first.
/// </summary>
public sealed class ValidationLoader : IValidationSource, IDisposable
{
    private readonly TokenSequence _source;
    private readonly bool _owns;
    private readonly int[] _row;
    private readonly long[] _rowStarts;
    private readonly long[]? _sample; // sequence indices, ascending; null = every sequence
    private long _next; // next batch index in [0, BatchCount)

    public int BatchSize { get; }
    public int SequenceLength { get; }
    public TokenSequence Source => _source;
    /// <summary>Sequences of the whole split (S).</summary>
    public long SequenceCount { get; }
    /// <summary>Sequences the batches hold: min(K·B, S).</summary>
    public long SampleCount => _sample?.LongLength ?? SequenceCount;
    public int BatchCount { get; }
    /// <summary>Targets of the split (N - 1).</summary>
    public long SplitTargets => _source.Count - 1;
    public long SampleTargets { get; }
    /// <summary>Start positions of the last batch's rows.</summary>
    public ReadOnlySpan<long> RowStarts => _rowStarts;

    /// <param name="batches">K, the batches of the sample; null (or K·B ≥ S) = the whole split.</param>
    public ValidationLoader(TokenSequence source, int batchSize, int sequenceLength, int? batches = null, bool ownsSource = false)
    {
        if (batchSize < 1 || sequenceLength < 1) throw new ArgumentException($"batch size and sequence length must be >= 1 (got {batchSize}, {sequenceLength})");
        if (batches < 1) throw new ArgumentException($"a validation sample needs >= 1 batch (got {batches})");
        if (source.Count < sequenceLength + 1)
            throw new InvalidDataException($"{source.Path}: split '{source.Split}' has {source.Count} tokens, fewer than sequence length + 1 = {sequenceLength + 1}");
        _source = source;
        _owns = ownsSource;
        BatchSize = batchSize;
        SequenceLength = sequenceLength;
        SequenceCount = TokenWindows.Count(SplitTargets, sequenceLength);
        if (batches is { } k && (long)k * batchSize < SequenceCount)
        {
            _sample = ValidationSample.Windows(SequenceCount, (long)k * batchSize);
            BatchCount = k;
            SampleTargets = _sample.LongLength * sequenceLength;
        }
        else
        {
            long all = (SequenceCount + batchSize - 1) / batchSize;
            if (all > int.MaxValue) throw new InvalidDataException($"{source.Path}: too many validation batches ({all})");
            BatchCount = (int)all;
            SampleTargets = SplitTargets;
        }
        _row = new int[sequenceLength + 1];
        _rowStarts = new long[batchSize];
    }

    public static ValidationLoader Open(string path, string split, int batchSize, int sequenceLength, int? batches = null)
    {
        var source = TokenSequence.Open(path, split);
        try { return new ValidationLoader(source, batchSize, sequenceLength, batches, ownsSource: true); }
        catch { source.Dispose(); throw; }
    }

    /// <summary>
    /// Sequence <paramref name="i"/> of the batches: its start, and its first position whose target counts (in the whole
    /// split, the last sequence's targets shared with its predecessor do not; a sample never holds both).
    /// </summary>
    private (long Start, int FirstCounted) Row(long i)
    {
        if (_sample is not null) return (TokenWindows.Get(_sample[i], SplitTargets, SequenceLength, WindowTail.Overlap).Start, 0);
        var window = TokenWindows.Get(i, SplitTargets, SequenceLength, WindowTail.Overlap);
        return (window.Start, (int)(window.FirstNewTarget - window.Start - 1));
    }

    /// <summary>Back to the first batch.</summary>
    public void Reset() => _next = 0;

    public void NextBatch(Span<int> inputs, Span<int> targets) => NextBatch(inputs, targets, default);

    /// <param name="weights">Optional, B·T: 1 where the target is counted, 0 where it repeats an earlier one or fills.</param>
    public void NextBatch(Span<int> inputs, Span<int> targets, Span<float> weights)
    {
        int B = BatchSize, T = SequenceLength;
        long n = SampleCount;
        for (int b = 0; b < B; b++)
        {
            long i = _next * B + b;
            bool fill = i >= n;
            var (start, firstCounted) = Row(i % n);
            _source.CopyTo(start, _row);
            _row.AsSpan(0, T).CopyTo(inputs.Slice(b * T, T));
            _row.AsSpan(1, T).CopyTo(targets.Slice(b * T, T));
            _rowStarts[b] = start;
            if (weights.IsEmpty) continue;
            for (int t = 0; t < T; t++)
                weights[b * T + t] = !fill && t >= firstCounted ? 1f : 0f;
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
