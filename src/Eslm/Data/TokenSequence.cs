namespace Eslm.Data;

/// <summary>
/// The tokens of one split as one long sequence: its memory-mapped shards end to end. Opened from a dataset folder
/// (manifest.json + shards of the split), a single llm.c shard, or a headerless uint16 file (nanoGPT).
/// </summary>
public sealed class TokenSequence : IDisposable
{
    private readonly TokenShard[] _shards;
    private readonly long[] _starts; // global offset of each shard

    public string Path { get; }
    public long Count { get; }
    /// <summary>The dataset, when opened from a dataset folder (for its manifest and document index).</summary>
    public Dataset? Dataset { get; }
    public string Split { get; }

    private TokenSequence(string path, string split, TokenShard[] shards, Dataset? dataset)
    {
        Path = path;
        Split = split;
        _shards = shards;
        Dataset = dataset;
        _starts = new long[shards.Length];
        long total = 0;
        for (int i = 0; i < shards.Length; i++) { _starts[i] = total; total += shards[i].Count; }
        Count = total;
    }

    /// <summary>Opens a dataset folder's split ("train" / "val"), or a single token file (the split is then ignored).</summary>
    public static TokenSequence Open(string path, string split = "train")
    {
        if (Directory.Exists(path))
        {
            var dataset = Data.Dataset.Open(path);
            var paths = dataset.ShardPaths(split);
            var shards = new List<TokenShard>();
            try { foreach (var p in paths) shards.Add(TokenShard.Open(p)); }
            catch { foreach (var s in shards) s.Dispose(); throw; }
            return new TokenSequence(path, split, shards.ToArray(), dataset);
        }
        TokenFileCheck.RequireTokenFile(path);
        return new TokenSequence(path, split, [TokenShard.OpenAny(path)], null);
    }

    /// <summary>
    /// The files <see cref="Open"/> may read for <paramref name="path"/>: a dataset's manifest and the shards of every
    /// split, or the token file itself. Commands refuse an output among them.
    /// </summary>
    public static IReadOnlyList<string> FilesRead(string path)
    {
        if (!Directory.Exists(path)) return [path];
        var dataset = Data.Dataset.Open(path);
        return [System.IO.Path.Combine(path, Data.Dataset.ManifestName), .. dataset.Shards.Keys.SelectMany(dataset.ShardPaths)];
    }

    /// <summary>Copies tokens [start, start + destination.Length) as ints, across shard boundaries.</summary>
    public void CopyTo(long start, Span<int> destination)
    {
        if (start < 0 || start + destination.Length > Count) throw new ArgumentOutOfRangeException(nameof(start), $"[{start}, {start + destination.Length}) is outside [0, {Count})");
        int shard = Array.BinarySearch(_starts, start);
        if (shard < 0) shard = ~shard - 1;
        while (!destination.IsEmpty)
        {
            while (start - _starts[shard] >= _shards[shard].Count) shard++; // skips empty shards
            long local = start - _starts[shard];
            int n = (int)Math.Min(destination.Length, _shards[shard].Count - local);
            _shards[shard].CopyTo(local, destination[..n]);
            destination = destination[n..];
            start += n;
        }
    }

    public void Dispose()
    {
        foreach (var s in _shards) s.Dispose();
    }
}
