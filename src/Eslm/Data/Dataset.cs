using System.Text.Json;

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

/// <summary>One shard file of a split.</summary>
public sealed record ShardInfo(string File, long Tokens);

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
    public required JsonElement Manifest { get; init; }

    /// <summary>True when the folder has a manifest.json or llm.c-style shard names (what --overwrite protects).</summary>
    public static bool LooksLikeDataset(string directory) =>
        System.IO.Directory.Exists(directory) &&
        (File.Exists(Path.Combine(directory, ManifestName)) ||
         System.IO.Directory.EnumerateFiles(directory, "*.bin").Any(f => Path.GetFileName(f).StartsWith("train_", StringComparison.Ordinal)
                                                                          || Path.GetFileName(f).StartsWith("val_", StringComparison.Ordinal)));

    /// <summary>Reads and checks manifest.json and the shard headers (counts must match the manifest).</summary>
    public static Dataset Open(string directory)
    {
        string path = Path.Combine(directory, ManifestName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{directory}: no {ManifestName} (not a dataset folder written by eslm prepare)");
        JsonElement root;
        try { root = JsonDocument.Parse(File.ReadAllBytes(path)).RootElement; }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message})"); }
        try
        {
            if (root.GetProperty("format").GetString() != Format) throw new InvalidDataException($"{path}: format is not '{Format}'");
            int version = root.GetProperty("version").GetInt32();
            if (version != FormatVersion) throw new InvalidDataException($"{path}: unsupported manifest version {version}");
            var domains = root.GetProperty("domains").EnumerateArray().Select(d => d.GetString()!).ToList();
            var shards = new Dictionary<string, IReadOnlyList<ShardInfo>>();
            var counts = new Dictionary<string, SplitCounts>();
            foreach (var split in root.GetProperty("splits").EnumerateObject())
            {
                var list = split.Value.GetProperty("shards").EnumerateArray()
                    .Select(s => new ShardInfo(s.GetProperty("file").GetString()!, s.GetProperty("tokens").GetInt64())).ToList();
                foreach (var shard in list)
                {
                    var (count, _) = TokenShard.ReadHeader(Path.Combine(directory, shard.File));
                    if (count != shard.Tokens)
                        throw new InvalidDataException($"{Path.Combine(directory, shard.File)}: holds {count} tokens, the manifest says {shard.Tokens}");
                }
                shards[split.Name] = list;
                counts[split.Name] = new SplitCounts(split.Value.GetProperty("documents").GetInt64(), split.Value.GetProperty("tokens").GetInt64(),
                    split.Value.GetProperty("bytes").GetInt64());
            }
            return new Dataset
            {
                Directory = directory, TokenizerHash = root.GetProperty("tokenizer").GetProperty("hash").GetString()!,
                Domains = domains, Shards = shards, Counts = counts, Manifest = root.Clone(),
            };
        }
        catch (KeyNotFoundException e) { throw new InvalidDataException($"{path}: missing field ({e.Message})"); }
        catch (InvalidOperationException e) { throw new InvalidDataException($"{path}: a field has the wrong type ({e.Message})"); }
    }

    /// <summary>Shard paths of a split ("train" or "val"), in order.</summary>
    public IReadOnlyList<string> ShardPaths(string split) =>
        Shards.TryGetValue(split, out var list)
            ? list.Select(s => Path.Combine(Directory, s.File)).ToList()
            : throw new InvalidDataException($"{Directory}: dataset has no split '{split}' (it has {string.Join(", ", Shards.Keys)})");

    /// <summary>The document index of a split (token ranges → domain and byte count).</summary>
    public DocumentIndex Index(string split)
    {
        var s = Manifest.GetProperty("index").GetProperty(split);
        return new DocumentIndex(
            s.GetProperty("start").EnumerateArray().Select(e => e.GetInt64()).ToArray(),
            s.GetProperty("tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            s.GetProperty("bytes").EnumerateArray().Select(e => e.GetInt64()).ToArray(),
            s.GetProperty("domain").EnumerateArray().Select(e => e.GetInt32()).ToArray());
    }
}
