using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using Eslm.Data;
using Eslm.Selection;

namespace Eslm.Cli.Commands;

/// <summary>
/// `eslm inspect` for the data and record files Eslm writes besides models: dataset folders (manifest.json), Rho-1
/// reference-loss sidecars (`eslm score`), and JSON / JSONL records (run.json, metrics.jsonl, task files, reports' data).
/// A damaged file is described as far as possible and then reported as an error.
/// </summary>
public static class InspectDataFiles
{
    private static string N(long x) => x.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>True when the file starts with a u64 header length and a JSON header naming the reference-loss format.</summary>
    public static bool IsReferenceLosses(string path)
    {
        if (!File.Exists(path)) return false;
        using var f = File.OpenRead(path);
        Span<byte> len = stackalloc byte[8];
        if (f.ReadAtLeast(len, 8, throwOnEndOfStream: false) != 8) return false;
        long n = BinaryPrimitives.ReadInt64LittleEndian(len);
        if (n <= 0 || n > 1 << 20 || 8 + n > f.Length) return false;
        var json = new byte[n];
        f.ReadExactly(json);
        try { using var doc = JsonDocument.Parse(json); return doc.RootElement.TryGetProperty("format", out var v) && v.ValueEquals(ReferenceLossFile.Format); }
        catch (JsonException) { return false; }
    }

    /// <summary>Header fields and loss statistics of a reference-loss sidecar (ReferenceLossFile.Open checks its length).</summary>
    public static void DescribeReferenceLosses(string path)
    {
        using var file = ReferenceLossFile.Open(path);
        Console.WriteLine($"{path}: Eslm reference-loss sidecar (eslm score), {N(new FileInfo(path).Length)} bytes, {N(file.Tokens)} tokens, window {file.Window}");
        foreach (var (k, v) in file.Header.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            if (k is not ("format" or "tokens" or "window")) Console.WriteLine($"  {k}: {v?.ToJsonString()}");
        // Loss i is the reference's loss of token i given its window; i = 0 has no context (NaN).
        double sum = 0;
        long finite = 0, nan = 0;
        var chunk = new float[1 << 20];
        for (long start = 0; start + 1 < file.Tokens; start += chunk.Length)
        {
            int n = (int)Math.Min(chunk.Length, file.Tokens - 1 - start);
            file.TargetsOfWindow(start, chunk.AsSpan(0, n));
            foreach (float x in chunk.AsSpan(0, n)) { if (float.IsFinite(x)) { sum += x; finite++; } else nan++; }
        }
        Console.WriteLine($"  losses: {N(finite)} finite, mean {(finite > 0 ? sum / finite : double.NaN):F4} nats; {N(nan)} without a value (window starts)");
    }

    /// <summary>A dataset folder written by eslm prepare: splits, domains, hold-out; Dataset.Open checks every shard's
    /// size, <see cref="Dataset.CheckChecksums"/> its tokens.</summary>
    public static void DescribeDataset(string directory)
    {
        var dataset = Dataset.Open(directory);
        var m = dataset.Manifest;
        Console.WriteLine($"{directory}: Eslm dataset (eslm prepare), tokenizer {m.Tokenizer.Name}, " +
                          $"{dataset.Domains.Count} domain(s), val held out as {m.ValHoldout ?? "documents"}");
        var (checkedShards, without) = dataset.CheckChecksums();
        string verified = without == 0 ? "sizes and checksums ok"
            : checkedShards == 0 ? "sizes ok (no checksums: prepared before they were recorded)"
            : $"sizes ok, checksums ok for {checkedShards} of {checkedShards + without} shards";
        foreach (var (split, counts) in dataset.Counts)
            Console.WriteLine($"  {split,-5} {N(counts.Documents),10} documents {N(counts.Tokens),15} tokens {N(counts.Bytes),15} bytes  " +
                              $"{dataset.Shards[split].Count} shard(s), {verified}");
        Console.WriteLine($"  domains: {string.Join(", ", dataset.Domains.Take(20))}{(dataset.Domains.Count > 20 ? ", …" : "")}");
        if (m.Sources is { } sources) Console.WriteLine($"  sources: {sources.Count} input file(s)");
        if (dataset.Counts.GetValueOrDefault("train") is { Tokens: > 0 } && dataset.Counts.GetValueOrDefault("val") is { Tokens: > 0 })
        {
            using var train = TokenSequence.Open(directory, "train");
            using var val = TokenSequence.Open(directory, "val");
            int vocabulary = m.Tokenizer.VocabSize ?? 1 << 16; // token files hold uint16 ids
            double loss = UnigramBaseline.CrossEntropy(train, val, vocabulary);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  unigram model (train-split token frequencies, add-one over {N(vocabulary)} ids): val loss {loss:F4} nats/token, what a model that ignores context reaches"));
        }
    }

    /// <summary>A JSON or JSONL record file: what it is (by name or fields), records, keys; invalid JSON is an error.</summary>
    public static void DescribeJson(string path)
    {
        string name = Path.GetFileName(path);
        bool gzipped = name.EndsWith(".jsonl.gz", StringComparison.OrdinalIgnoreCase);
        if (gzipped) name = name[..^3]; // a committed study's metrics.jsonl.gz reads as its metrics.jsonl
        if (name.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            var keys = new List<string>();
            var types = new SortedDictionary<string, int>(StringComparer.Ordinal);
            int records = 0, lineNumber = 0;
            string? last = null;
            foreach (string line in Eslm.Records.MetricsLine.ReadLines(path))
            {
                lineNumber++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                JsonDocument doc;
                try { doc = JsonDocument.Parse(line); }
                catch (JsonException e) { throw new InvalidDataException($"{path}:{lineNumber}: not JSON ({e.Message.Split(". ")[0]}); the file may be truncated"); }
                using (doc)
                {
                    records++;
                    if (doc.RootElement.ValueKind != JsonValueKind.Object) continue;
                    if (records == 1) keys = doc.RootElement.EnumerateObject().Select(p => p.Name).ToList();
                    if (doc.RootElement.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String) types[t.GetString()!] = types.GetValueOrDefault(t.GetString()!) + 1;
                    last = line;
                }
            }
            string kind = keys.Contains("ctx") && keys.Contains("endings") ? "HellaSwag-style multiple-choice task (eslm eval --task hellaswag)"
                : keys.Contains("context") && keys.Contains("target") ? "cloze task (eslm eval --task cloze)"
                : name == "metrics.jsonl" ? "training metrics (one record per optimizer step and per validation)"
                : keys.Contains("text") ? "JSONL documents (eslm prepare input)" : "JSONL records";
            Console.WriteLine($"{path}: {kind}{(gzipped ? ", gzipped" : "")}, {N(records)} record(s)");
            if (types.Count > 0) Console.WriteLine($"  types: {string.Join(", ", types.Select(kv => $"{kv.Key} {N(kv.Value)}"))}");
            if (keys.Count > 0) Console.WriteLine($"  fields: {string.Join(", ", keys)}");
            if (name == "metrics.jsonl" && last is not null) Console.WriteLine($"  last: {(last.Length > 300 ? last[..300] + "…" : last)}");
            return;
        }
        JsonDocument json;
        try { json = JsonDocument.Parse(File.ReadAllBytes(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message.Split(". ")[0]}); the file may be truncated"); }
        using (json)
        {
            var root = json.RootElement;
            string kind = name == "run.json" ? "run configuration (eslm train / experiment arm)"
                : name == "state.json" ? "checkpoint state (inspect its folder for the whole checkpoint)"
                : root.ValueKind == JsonValueKind.Object && root.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String ? $"JSON, format {f.GetString()}"
                : "JSON";
            Console.WriteLine($"{path}: {kind}, {N(new FileInfo(path).Length)} bytes");
            if (root.ValueKind == JsonValueKind.Object)
                foreach (var p in root.EnumerateObject())
                {
                    string v = p.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array ? $"{p.Value.ValueKind.ToString().ToLowerInvariant()} ({(p.Value.ValueKind == JsonValueKind.Array ? p.Value.GetArrayLength() : p.Value.EnumerateObject().Count())} entries)" : p.Value.GetRawText();
                    Console.WriteLine($"  {p.Name}: {(v.Length > 120 ? v[..120] + "…" : v)}");
                }
        }
    }
}
