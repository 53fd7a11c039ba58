namespace Eslm.Data;

/// <summary>Per-document index of one split: document d covers tokens [Start[d], Start[d] + Tokens[d]) of the split's
/// concatenated shards (its leading &lt;|endoftext|&gt; included), came from Bytes[d] UTF-8 bytes of text, and has domain
/// Domains[DomainIds[d]].</summary>
public sealed record DocumentIndex(long[] Start, int[] Tokens, long[] Bytes, int[] DomainIds)
{
    public int Count => Start.Length;

    /// <summary>The document holding token position <paramref name="position"/> (binary search), or -1.</summary>
    public int DocumentAt(long position)
    {
        int i = Array.BinarySearch(Start, position);
        if (i < 0) i = ~i - 1;
        return i >= 0 && position < Start[i] + Tokens[i] ? i : -1;
    }
}

/// <summary>Counts for a split or a domain within it.</summary>
public sealed record SplitCounts(long Documents, long Tokens, long Bytes);

/// <summary>One shard file of a split, and its tokens' <see cref="TokenChecksum"/> (null in manifests written before
/// 2026-12-07), which <c>eslm inspect</c> checks: a shard replaced by another of the same size is caught there.</summary>
public sealed record ShardInfo(string File, long Tokens)
{
    public string? Checksum { get; init; }
}

/// <summary>
/// A dataset folder written by <c>eslm prepare</c>: manifest.json plus llm.c shards train_NNNNNN.bin / val_NNNNNN.bin.
/// See docs/formats.md for the manifest's fields.
/// </summary>
public sealed class Dataset
{
    public const string ManifestName = "manifest.json";
    public const string Format = "eslm-dataset";
    public const int FormatVersion = 1;

    public required string Directory { get; init; }
    public required string TokenizerHash { get; init; }
    public required IReadOnlyList<string> Domains { get; init; }
    public required IReadOnlyDictionary<string, IReadOnlyList<ShardInfo>> Shards { get; init; }
    public required IReadOnlyDictionary<string, SplitCounts> Counts { get; init; }
    public required DatasetManifest Manifest { get; init; }

    /// <summary>True when the folder has a manifest.json or llm.c-style shard names (what --overwrite protects).</summary>
    public static bool LooksLikeDataset(string directory) =>
        System.IO.Directory.Exists(directory) &&
        (File.Exists(Path.Combine(directory, ManifestName)) ||
         System.IO.Directory.EnumerateFiles(directory, "*.bin").Any(f => Path.GetFileName(f).StartsWith("train_", StringComparison.Ordinal)
                                                                          || Path.GetFileName(f).StartsWith("val_", StringComparison.Ordinal)));

    /// <summary>Reads and checks manifest.json (<see cref="DatasetManifest"/>) and the shard headers (counts must match the manifest).</summary>
    /// <summary>
    /// Reads every shard that records a checksum and compares its tokens with it (one pass over the data; Open checks only
    /// sizes). A shard replaced or changed since eslm prepare is an error naming it. Returns how many shards were
    /// checked and how many record no checksum.
    /// </summary>
    public (int Checked, int WithoutChecksum) CheckChecksums()
    {
        int done = 0, without = 0;
        foreach (var shard in Shards.Values.SelectMany(s => s))
        {
            if (shard.Checksum is null) { without++; continue; }
            string path = Path.Combine(Directory, shard.File);
            using var tokens = TokenShard.Open(path);
            string actual = TokenChecksum.Of(tokens);
            if (actual != shard.Checksum)
                throw new InvalidDataException($"{path}: its tokens' checksum is {actual}, the manifest says {shard.Checksum}: " +
                                               "the shard was replaced or changed after eslm prepare");
            done++;
        }
        return (done, without);
    }

    public static Dataset Open(string directory)
    {
        string path = Path.Combine(directory, ManifestName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{directory}: no {ManifestName} (not a dataset folder written by eslm prepare)");
        var manifest = DatasetManifest.Read(path);
        if (manifest.Format != Format) throw new InvalidDataException($"{path}: format is not '{Format}'");
        if (manifest.Version != FormatVersion) throw new InvalidDataException($"{path}: unsupported manifest version {manifest.Version}");
        var shards = new Dictionary<string, IReadOnlyList<ShardInfo>>();
        var counts = new Dictionary<string, SplitCounts>();
        foreach (var (name, split) in manifest.Splits)
        {
            foreach (var shard in split.Shards)
            {
                var (count, _) = TokenShard.ReadHeader(Path.Combine(directory, shard.File));
                if (count != shard.Tokens)
                    throw new InvalidDataException($"{Path.Combine(directory, shard.File)}: holds {count} tokens, the manifest says {shard.Tokens}");
            }
            shards[name] = split.Shards;
            counts[name] = new SplitCounts(split.Documents, split.Tokens, split.Bytes);
        }
        return new Dataset
        {
            Directory = directory, TokenizerHash = manifest.Tokenizer.Hash, Domains = manifest.Domains, Shards = shards, Counts = counts, Manifest = manifest,
        };
    }

    /// <summary>Shard paths of a split ("train" or "val"), in order.</summary>
    public IReadOnlyList<string> ShardPaths(string split) =>
        Shards.TryGetValue(split, out var list)
            ? list.Select(s => Path.Combine(Directory, s.File)).ToList()
            : throw new InvalidDataException($"{Directory}: dataset has no split '{split}' (it has {string.Join(", ", Shards.Keys)})");

    /// <summary>The document index of a split (token ranges → domain and byte count).</summary>
    public DocumentIndex Index(string split)
    {
        string path = Path.Combine(Directory, ManifestName);
        if (Manifest.Index?.GetValueOrDefault(split) is not { } s)
            throw new InvalidDataException($"{path}: no document index for split '{split}'");
        int n = s.Start.Length;
        if (s.Tokens.Length != n || s.Bytes.Length != n || s.Domain.Length != n)
            throw new InvalidDataException($"{path}: the document index of '{split}' has columns of different lengths");
        int[] Ints(long[] column, string name) => column.Select(v => v is >= 0 and <= int.MaxValue ? (int)v
            : throw new InvalidDataException($"{path}: index.{split}.{name} holds {v}, outside [0, {int.MaxValue}]")).ToArray();
        return new DocumentIndex(s.Start, Ints(s.Tokens, "tokens"), s.Bytes, Ints(s.Domain, "domain"));
    }
}
