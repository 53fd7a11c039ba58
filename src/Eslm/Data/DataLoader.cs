using System.Globalization;
using System.Text.Json.Nodes;
using Eslm.Tensors;

namespace Eslm.Data;

/// <summary>How training sequences are drawn.</summary>
public enum SamplingMode
{
    /// <summary>Consecutive windows: a sequence starts T tokens after the previous one (llm.c); wraps to the start at the end (a new epoch).</summary>
    Sequential,
    /// <summary>Each sequence starts at a uniformly random position (nanoGPT's get_batch), seeded.</summary>
    Random,
    /// <summary>
    /// Sequential's windows (T-aligned, T+1 tokens) in a seeded random order, without replacement: every window once per
    /// epoch, a new order each epoch and seed (<see cref="WindowPermutation"/>).
    /// </summary>
    Shuffled,
}

/// <summary>
/// Training batches from memory-mapped token shards: B sequences of T+1 tokens each, split into inputs [B,T] and targets
/// [B,T] (targets are the inputs shifted by one). Several datasets can be mixed by weight: each row of a batch picks its
/// dataset at random in proportion to the weights. Sequential and shuffled sampling keep a position and epoch count per
/// dataset (shuffled: the index into the epoch's permuted windows). The position(s), epochs and RNG round-trip through
/// <see cref="SaveState"/> / <see cref="RestoreState"/>, so a resumed run draws exactly the batches it would have drawn.
///
/// <code>
/// using var train = DataLoader.Open("data/clean", "train", batchSize: 8, sequenceLength: 256, SamplingMode.Random, seed: 1337);
/// using var val = DataLoader.OpenValidation("data/clean", "val", 8, 256);   // val.BatchCount fixed batches, all tokens
/// using var sample = DataLoader.OpenValidation("data/clean", "val", 8, 256, batches: 20);   // 20 batches spread over the split
/// </code>
/// </summary>
public sealed class DataLoader : IPositionedBatchSource, ITokenSources, IDisposable
{
    private readonly TokenSequence[] _sources;
    private readonly double[] _cumulative;
    private readonly long[] _positions;
    private readonly long[] _epochs;
    private readonly int[] _row;
    private readonly long[] _rowStarts;
    private readonly int[] _rowSources;
    private readonly bool _ownsSources;
    private Rng _rng;
    private ulong _shuffleKey; // shuffled sampling: the permutations' key (saved, so a resumed run keeps its order)
    private long _batches;

    public int BatchSize { get; }
    public int SequenceLength { get; }
    public SamplingMode Sampling { get; }

    /// <summary>The sequences batches are drawn from (one per dataset of a mixture).</summary>
    public IReadOnlyList<TokenSequence> TokenSources => _sources;
    public IReadOnlyList<TokenSequence> Sources => _sources;

    /// <summary>Batches drawn so far.</summary>
    public long Batches => _batches;

    /// <summary>For the last batch: the dataset index and start position of each row (row b's inputs are tokens start..start+T-1).</summary>
    public ReadOnlySpan<long> RowStarts => _rowStarts;
    public ReadOnlySpan<int> RowSources => _rowSources;

    /// <summary>Epochs completed per dataset (sequential and shuffled sampling).</summary>
    public ReadOnlySpan<long> Epochs => _epochs;

    public DataLoader(IReadOnlyList<TokenSequence> sources, IReadOnlyList<double>? weights, int batchSize, int sequenceLength,
        SamplingMode sampling = SamplingMode.Random, ulong seed = 1337, bool ownsSources = false)
    {
        if (batchSize < 1) throw new ArgumentException($"batch size must be >= 1 (got {batchSize})");
        if (sequenceLength < 1) throw new ArgumentException($"sequence length must be >= 1 (got {sequenceLength})");
        if (sources.Count == 0) throw new ArgumentException("no datasets given");
        weights ??= Enumerable.Repeat(1.0, sources.Count).ToArray();
        if (weights.Count != sources.Count) throw new ArgumentException($"{weights.Count} weights for {sources.Count} datasets");
        if (weights.Any(w => w < 0 || double.IsNaN(w) || double.IsInfinity(w)) || weights.Sum() <= 0)
            throw new ArgumentException("dataset weights must be finite, >= 0, and not all zero");
        foreach (var s in sources)
            if (s.Count < sequenceLength + 1)
                throw new InvalidDataException($"{s.Path}: split '{s.Split}' has {s.Count} tokens, fewer than sequence length + 1 = {sequenceLength + 1}");
        _sources = sources.ToArray();
        _ownsSources = ownsSources;
        double total = weights.Sum(), acc = 0;
        _cumulative = weights.Select(w => acc += w / total).ToArray();
        _cumulative[^1] = 1.0;
        _positions = new long[sources.Count];
        _epochs = new long[sources.Count];
        _row = new int[sequenceLength + 1];
        _rowStarts = new long[batchSize];
        _rowSources = new int[batchSize];
        BatchSize = batchSize;
        SequenceLength = sequenceLength;
        Sampling = sampling;
        _rng = new Rng(seed);
        _shuffleKey = WindowPermutation.Mix(seed ^ 0x53485546464C4544UL); // "SHUFFLED": a stream apart from _rng's
    }

    /// <summary>Opens one dataset: a dataset folder (its <paramref name="split"/>), an llm.c shard or a raw uint16 file.</summary>
    public static DataLoader Open(string path, string split, int batchSize, int sequenceLength, SamplingMode sampling = SamplingMode.Random, ulong seed = 1337) =>
        OpenMixture([(path, 1.0)], split, batchSize, sequenceLength, sampling, seed);

    /// <summary>Opens several datasets mixed by weight (e.g. 0.8 noisy, 0.2 clean).</summary>
    public static DataLoader OpenMixture(IReadOnlyList<(string Path, double Weight)> datasets, string split, int batchSize, int sequenceLength,
        SamplingMode sampling = SamplingMode.Random, ulong seed = 1337)
    {
        var sources = new List<TokenSequence>();
        try
        {
            foreach (var (p, _) in datasets) sources.Add(TokenSequence.Open(p, split));
            return new DataLoader(sources, datasets.Select(d => d.Weight).ToArray(), batchSize, sequenceLength, sampling, seed, ownsSources: true);
        }
        catch { foreach (var s in sources) s.Dispose(); throw; }
    }

    /// <summary>
    /// The deterministic validation loader of a split: fixed batches that cover every token, or with
    /// <paramref name="batches"/> K a fixed sample of K batches spread over the whole split (<see cref="ValidationSample"/>).
    /// </summary>
    public static ValidationLoader OpenValidation(string path, string split, int batchSize, int sequenceLength, int? batches = null) =>
        ValidationLoader.Open(path, split, batchSize, sequenceLength, batches);

    public void NextBatch(Span<int> inputs, Span<int> targets)
    {
        int B = BatchSize, T = SequenceLength;
        if (inputs.Length < B * T || targets.Length < B * T) throw new ArgumentException($"inputs and targets need {B * T} entries");
        for (int b = 0; b < B; b++)
        {
            int s = PickSource();
            var source = _sources[s];
            long start;
            if (Sampling == SamplingMode.Random) start = Uniform(_rng, source.Count - T);
            else if (Sampling == SamplingMode.Shuffled)
            {
                var order = EpochOrder(s);
                if (_positions[s] == order.Count) { _positions[s] = 0; _epochs[s]++; order = EpochOrder(s); }
                start = order[_positions[s]++] * T;
            }
            else
            {
                if (_positions[s] + T + 1 > source.Count) { _positions[s] = 0; _epochs[s]++; }
                start = _positions[s];
                _positions[s] += T;
            }
            source.CopyTo(start, _row);
            _row.AsSpan(0, T).CopyTo(inputs.Slice(b * T, T));
            _row.AsSpan(1, T).CopyTo(targets.Slice(b * T, T));
            _rowStarts[b] = start;
            _rowSources[b] = s;
        }
        _batches++;
    }

    /// <summary>
    /// Shuffled sampling: the order of dataset <paramref name="s"/>'s windows in its current epoch. Its windows are
    /// sequential's, k·T for k &lt; ⌊(N−1)/T⌋ (each needs T+1 tokens); the key mixes the loader's key, dataset and epoch.
    /// </summary>
    private WindowPermutation EpochOrder(int s)
    {
        long windows = WindowCount(s);
        ulong dataset = WindowPermutation.Mix((ulong)s + 1), epoch = WindowPermutation.Mix(~(ulong)_epochs[s]);
        ulong key = WindowPermutation.Mix(_shuffleKey ^ dataset ^ epoch);
        return new WindowPermutation(windows, key);
    }

    /// <summary>Sequential's and shuffled's windows of dataset <paramref name="s"/>: k·T for k &lt; ⌊(N−1)/T⌋ (each needs T+1 tokens).</summary>
    private long WindowCount(int s) => (_sources[s].Count - 1) / SequenceLength;

    /// <summary>Uniform integer in [0, maxExclusive) for 64-bit ranges (Lemire's method, no modulo bias).</summary>
    private static long Uniform(Rng rng, long maxExclusive)
    {
        if (maxExclusive <= int.MaxValue) return rng.NextInt((int)maxExclusive);
        ulong range = (ulong)maxExclusive;
        UInt128 m = (UInt128)rng.NextUInt64() * range;
        if ((ulong)m < range)
        {
            ulong threshold = (0 - range) % range;
            while ((ulong)m < threshold) m = (UInt128)rng.NextUInt64() * range;
        }
        return (long)(ulong)(m >> 64);
    }

    private int PickSource()
    {
        if (_sources.Length == 1) return 0;
        double u = _rng.NextDouble();
        int i = 0;
        while (i < _cumulative.Length - 1 && u >= _cumulative[i]) i++;
        return i;
    }

    public JsonObject SaveState()
    {
        var state = new JsonObject
        {
            ["kind"] = "eslm-data-loader",
            ["sampling"] = Sampling.ToString().ToLowerInvariant(),
            ["batch_size"] = BatchSize,
            ["sequence_length"] = SequenceLength,
            ["rng"] = _rng.State,
            ["batches"] = _batches,
            ["positions"] = new JsonArray(_positions.Select(p => (JsonNode)p).ToArray()),
            ["epochs"] = new JsonArray(_epochs.Select(p => (JsonNode)p).ToArray()),
            ["token_counts"] = new JsonArray(_sources.Select(s => (JsonNode)s.Count).ToArray()),
        };
        if (Sampling == SamplingMode.Shuffled) state["shuffle_key"] = _shuffleKey.ToString("x16", CultureInfo.InvariantCulture);
        return state;
    }

    public void RestoreState(JsonObject state)
    {
        try
        {
            if ((string?)state["kind"] != "eslm-data-loader") throw new InvalidDataException("data-loader state: not an eslm-data-loader state");
            var counts = state["token_counts"]!.AsArray().Select(n => (long)n!).ToArray();
            if (!counts.SequenceEqual(_sources.Select(s => s.Count)))
                throw new InvalidDataException($"data-loader state: saved for datasets of {string.Join("+", counts)} tokens, these have {string.Join("+", _sources.Select(s => s.Count))}");
            if ((string?)state["sampling"] != Sampling.ToString().ToLowerInvariant() || (int)state["batch_size"]! != BatchSize || (int)state["sequence_length"]! != SequenceLength)
                throw new InvalidDataException($"data-loader state: saved with sampling {state["sampling"]}, B={state["batch_size"]}, T={state["sequence_length"]}; " +
                                               $"this loader has {Sampling.ToString().ToLowerInvariant()}, B={BatchSize}, T={SequenceLength}");
            var positions = state["positions"]!.AsArray().Select(n => (long)n!).ToArray();
            var epochs = state["epochs"]!.AsArray().Select(n => (long)n!).ToArray();
            ulong shuffleKey = Sampling == SamplingMode.Shuffled
                ? ulong.Parse((string)state["shuffle_key"]!, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture)
                : _shuffleKey;
            var rng = Rng.FromState((string)state["rng"]!);
            long batches = (long)state["batches"]!;
            if (positions.Length != _sources.Length || epochs.Length != _sources.Length)
                throw new InvalidDataException($"data-loader state: {positions.Length} positions and {epochs.Length} epoch counts for {_sources.Length} datasets");
            for (int s = 0; s < positions.Length; s++)
                if (Sampling == SamplingMode.Shuffled && (positions[s] < 0 || positions[s] > WindowCount(s)))
                    throw new InvalidDataException($"data-loader state: window {positions[s]} of dataset {s} is outside its {WindowCount(s)} windows");
            // all read and checked: only now does the loader change (a refused state leaves it as it was)
            (_shuffleKey, _rng, _batches) = (shuffleKey, rng, batches);
            positions.CopyTo(_positions, 0);
            epochs.CopyTo(_epochs, 0);
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException or ArgumentException or OverflowException)
        {
            throw new InvalidDataException($"data-loader state is malformed ({e.Message})");
        }
    }

    public void Dispose()
    {
        if (_ownsSources) foreach (var s in _sources) s.Dispose();
    }
}
