using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Eslm.Tensors;
using Eslm.Tokenization;

namespace Eslm.Data;

/// <summary>Options of <c>eslm prepare</c> (see docs/formats.md).</summary>
public sealed record PrepareOptions
{
    public required IReadOnlyList<InputFile> Inputs { get; init; }
    public required string OutputDirectory { get; init; }
    public InputOptions Input { get; init; } = new();
    /// <summary>Share of documents held out for validation (whole documents), unless <see cref="ValDocuments"/> is set.</summary>
    public double ValFraction { get; init; } = 0.05;
    public int? ValDocuments { get; init; }
    public ulong Seed { get; init; } = 1337;
    /// <summary>Tokens per shard file (llm.c's fineweb uses 10^8); every shard but the last of a split is full.</summary>
    public long ShardTokens { get; init; } = 100_000_000;
    /// <summary>Shuffle document order within each split (seeded); off keeps input order.</summary>
    public bool Shuffle { get; init; } = true;
    public bool Overwrite { get; init; }
    public int Threads { get; init; }
    /// <summary>For inputs in groups "clean" and "noisy": the share of clean tokens in the result (clean documents are
    /// sampled, seeded, to reach it; all noisy documents are kept). Null keeps everything.</summary>
    public double? CleanShare { get; init; }
    /// <summary>The most bytes one input may have, after decompression (<see cref="InputLimit"/>).</summary>
    public long MaxInputBytes { get; init; } = InputLimit.DefaultBytes;
    /// <summary>Recipe name, recorded in the manifest.</summary>
    public string? Recipe { get; init; }
}

/// <summary>Progress: phase ("read", "write"), work done and total in bytes (total 0 when unknown).</summary>
public readonly record struct PrepareProgress(string Phase, long Done, long Total);

public sealed record PrepareResult(string Directory, SplitCounts Train, SplitCounts Val, int Domains, double Seconds, long TextBytes)
{
    /// <summary>How val was held out: "documents" (whole documents) or "document-tails" (too few documents; <see cref="DocumentTails"/>).</summary>
    public string ValHoldout { get; init; } = "documents";
    /// <summary>Things the caller should tell the user (e.g. inputs with identical content).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    public double MegabytesPerSecond => Seconds > 0 ? TextBytes / 1e6 / Seconds : 0;
}

/// <summary>
/// <c>eslm prepare</c>: reads documents, tokenizes them in parallel with GPT-2 BPE, splits whole documents into train and
/// val (seeded), and writes a dataset folder of llm.c shards (each document prefixed by &lt;|endoftext|&gt;) and manifest.json.
/// Everything is written into a temporary sibling folder that is renamed into place at the end, so a failure leaves
/// nothing behind; an existing dataset is only replaced with <see cref="PrepareOptions.Overwrite"/>, and the output is
/// locked for the whole command (<see cref="DatasetOutput"/>).
/// </summary>
public static class CorpusPreparer
{
    /// <summary>One document: its <see cref="Tokens"/> token ids (EOT not included) at <see cref="Offset"/> in the spill file.</summary>
    private sealed record Doc(long Offset, int Tokens, long Bytes, int Domain, int Source, int Group, int Order);

    public static PrepareResult Prepare(PrepareOptions options, Action<PrepareProgress>? progress = null)
    {
        var clock = Stopwatch.StartNew();
        Validate(options);
        using var output = DatasetOutput.Open(options.OutputDirectory, options.Overwrite);
        var tokenizer = Gpt2Tokenizer.Default;
        using var spill = new TokenSpill(output.Directory);

        // 1. Read and tokenize (tokenization parallel over documents, in batches of a few MB of text).
        var reading = new Reading(options, tokenizer, spill, progress);
        reading.ReadAll();
        var (domains, groups, sources, warnings, textBytes, docs) = (reading.Domains, reading.Groups, reading.Sources, reading.Warnings, reading.TextBytes, reading.Docs);

        var rng = new Rng(options.Seed);
        if (options.CleanShare is double share) docs = Mix(docs, groups, share, rng);

        // 2. Split whole documents, seeded; with too few documents for that, hold out each document's tail instead.
        int[] train, val;
        bool tails = options.ValDocuments is null && options.ValFraction > 0 && docs.Count < DocumentTails.MinDocumentsForWholeSplit;
        if (tails) (docs, train, val) = SplitTails(docs, spill, options.ValFraction, tokenizer, options.Shuffle ? rng : null);
        else
        {
            var order = Enumerable.Range(0, docs.Count).ToArray();
            rng.Shuffle(order.AsSpan());
            int valCount = options.ValDocuments ?? (options.ValFraction <= 0 || docs.Count < 2 ? 0 : (int)Math.Clamp(Math.Round(options.ValFraction * docs.Count), 1, docs.Count - 1));
            if (valCount >= docs.Count && docs.Count > 0 && options.ValDocuments is not null)
                throw new ArgumentException($"--val-docs {valCount} leaves no training documents (the inputs hold {docs.Count})");
            val = order.Take(valCount).ToArray();
            train = order.Skip(valCount).ToArray();
            if (!options.Shuffle) { Array.Sort(val); Array.Sort(train); }
        }
        string holdout = tails ? "document-tails" : "documents";

        // 3. Write into a temporary folder, then rename.
        output.Publish(temp =>
        {
            long totalTokens = docs.Sum(d => (long)d.Tokens + 1), written = 0;
            var splits = new (string Name, int[] Order)[] { ("train", train), ("val", val) };
            var shardLists = new Dictionary<string, List<ShardInfo>>();
            foreach (var (name, splitOrder) in splits)
                shardLists[name] = WriteShards(temp, name, splitOrder.Select(i => docs[i]), spill,
                    // a buffer no larger than the split (the default shard holds 10^8 tokens: 200 MB for a small dataset)
                    Math.Min(options.ShardTokens, Math.Max(1, splitOrder.Sum(i => (long)docs[i].Tokens + 1))), n =>
                {
                    written += n;
                    progress?.Invoke(new PrepareProgress("write", written, totalTokens));
                });
            File.WriteAllBytes(Path.Combine(temp, Dataset.ManifestName), // the whole folder is published at once
                Manifest(options, tokenizer, domains, sources, docs, splits, shardLists, holdout).ToBytes());
        });
        SplitCounts Count(int[] ids) => new(ids.Length, ids.Sum(i => (long)docs[i].Tokens + 1), ids.Sum(i => docs[i].Bytes));
        return new PrepareResult(output.Directory, Count(train), Count(val), domains.Count, clock.Elapsed.TotalSeconds, textBytes) { ValHoldout = holdout, Warnings = warnings };
    }

    /// <summary>Step 1 of <see cref="Prepare"/>: every input's documents, tokenized into the spill, with their domains and sources.</summary>
    private sealed class Reading(PrepareOptions options, Gpt2Tokenizer tokenizer, TokenSpill spill, Action<PrepareProgress>? progress)
    {
        public List<string> Domains { get; } = new();
        public List<string> Groups { get; } = new();
        public List<(string Path, string Sha256, long Bytes, int Documents)> Sources { get; } = new();
        public List<Doc> Docs { get; } = new();
        public List<string> Warnings { get; } = new();
        public long TextBytes { get; private set; }

        private const int BatchChars = 4 << 20;
        private readonly Dictionary<string, int> _domainIds = new(StringComparer.Ordinal);
        // Issue 21: linear in the number of files. Copies are found through a hash table (a scan of every earlier source
        // made 100,000 tiny files quadratic), and documents are tokenized in batches that span files (a batch per file
        // paid the parallel start-up once per tiny file).
        private readonly Dictionary<string, string> _firstWithContent = new(StringComparer.Ordinal);
        private readonly List<(DocumentPart Part, int Source, int Group)> _pending = new();
        private long _pendingChars, _readBytes;
        private readonly long _totalBytes = options.Inputs.Where(f => !f.IsStdin && File.Exists(f.Path)).Sum(f => new FileInfo(f.Path).Length);

        public void ReadAll()
        {
            var empty = new List<string>();
            foreach (var file in options.Inputs)
            {
                string name = file.IsStdin ? "<stdin>" : file.Path;
                int sourceId = Sources.Count, group = file.Group is null ? -1 : IdOf(Groups, file.Group), count = 0;
                var input = new InputDocuments(file, options.Input, options.MaxInputBytes);
                foreach (var part in input.Read())
                {
                    if (_pending.Count > 0 && _pendingChars + part.Doc.Text.Length > BatchChars) Tokenize(input);
                    _pending.Add((part, sourceId, group));
                    _pendingChars += part.Doc.Text.Length;
                    if (!part.ContinuesPrevious) count++;
                }
                // Same bytes under another name (a copy): its documents may land in both splits, so say so.
                if (input.StoredBytes > 0 && !_firstWithContent.TryAdd(input.Sha256, name))
                    Warnings.Add($"{name}: same content as {_firstWithContent[input.Sha256]} (its documents may appear in both train and val)");
                if (count == 0) empty.Add(name);
                Sources.Add((file.IsStdin ? "-" : file.Path, input.Sha256, input.StoredBytes, count));
                _readBytes += input.StoredBytes;
            }
            Tokenize(null);
            if (Docs.Count == 0)
                throw new InvalidDataException(empty.Count == 1 ? $"{empty[0]}: empty input (no text)"
                    : $"no documents in the inputs ({string.Join(", ", empty.Take(5))}{(empty.Count > 5 ? ", …" : "")} are empty)");
        }

        /// <summary>Tokenizes the pending documents into the spill; a piece that continues a document extends it
        /// (its tokens follow the document's in the spill). <paramref name="reading"/>: the input being read, for progress.</summary>
        private void Tokenize(InputDocuments? reading)
        {
            if (_pending.Count == 0) return;
            var ids = _pending.Count == 1
                ? [tokenizer.EncodeLarge(_pending[0].Part.Doc.Text, options.Threads)]
                : tokenizer.EncodeBatch(_pending.Select(d => d.Part.Doc.Text).ToList(), options.Threads);
            for (int i = 0; i < _pending.Count; i++)
            {
                long offset = spill.Append(ids[i]);
                var ((doc, continues), source, group) = _pending[i];
                long docBytes = Encoding.UTF8.GetByteCount(doc.Text);
                TextBytes += docBytes;
                if (continues) { Docs[^1] = Docs[^1] with { Tokens = checked(Docs[^1].Tokens + ids[i].Length), Bytes = Docs[^1].Bytes + docBytes }; continue; }
                if (!_domainIds.TryGetValue(doc.Domain, out int d)) { d = Domains.Count; Domains.Add(doc.Domain); _domainIds[doc.Domain] = d; }
                Docs.Add(new Doc(offset, ids[i].Length, docBytes, d, source, group, Docs.Count));
            }
            _pending.Clear();
            _pendingChars = 0;
            long done = _readBytes + (reading?.BytesRead ?? 0);
            progress?.Invoke(new PrepareProgress("read", done, Math.Max(_totalBytes, done)));
        }
    }

    /// <summary>Cuts every document into a head (train) and a tail (val) (<see cref="DocumentTails"/>); documents too short
    /// to cut stay whole in train. Returns the new document list and the train / val orders (shuffled when rng is given).</summary>
    private static (List<Doc> Docs, int[] Train, int[] Val) SplitTails(List<Doc> docs, TokenSpill spill, double fraction, Gpt2Tokenizer tokenizer, Rng? rng)
    {
        var heads = new List<Doc>();
        var tailDocs = new List<Doc>();
        foreach (var d in docs)
        {
            if (d.Tokens < 2) { heads.Add(d); continue; } // too short to cut
            // Only the tokens the cut looks at are read (a one-book input is one long document).
            int from = DocumentTails.WindowStart(d.Tokens, fraction);
            int cut = DocumentTails.CutPoint(spill.Read(d.Offset + from, d.Tokens - from), from, d.Tokens, fraction, tokenizer);
            long headBytes = SpilledBytes(spill, d.Offset, cut, tokenizer);
            heads.Add(d with { Tokens = cut, Bytes = headBytes });
            tailDocs.Add(d with { Offset = d.Offset + cut, Tokens = d.Tokens - cut, Bytes = d.Bytes - headBytes });
        }
        var all = heads.Concat(tailDocs).ToList();
        var train = Enumerable.Range(0, heads.Count).ToArray();
        var val = Enumerable.Range(heads.Count, tailDocs.Count).ToArray();
        if (rng is not null) { rng.Shuffle(train.AsSpan()); rng.Shuffle(val.AsSpan()); }
        return (all, train, val);
    }

    /// <summary>UTF-8 bytes of <paramref name="count"/> spilled tokens, read a million at a time.</summary>
    private static long SpilledBytes(TokenSpill spill, long offset, int count, Gpt2Tokenizer tokenizer)
    {
        var buffer = new ushort[Math.Min(count, 1 << 20)];
        long bytes = 0;
        for (int done = 0; done < count;)
        {
            int n = Math.Min(buffer.Length, count - done);
            spill.Read(offset + done, buffer.AsSpan(0, n));
            bytes += DocumentTails.Bytes(buffer.AsSpan(0, n), tokenizer);
            done += n;
        }
        return bytes;
    }

    private static int IdOf(List<string> list, string name)
    {
        int i = list.IndexOf(name);
        if (i < 0) { list.Add(name); i = list.Count - 1; }
        return i;
    }

    private static void Validate(PrepareOptions o)
    {
        if (o.Inputs.Count == 0) throw new ArgumentException("no inputs given");
        if (o.ValFraction is < 0 or >= 1 || double.IsNaN(o.ValFraction)) throw new ArgumentException($"--val-fraction must be in [0, 1) (got {o.ValFraction})");
        if (o.ValDocuments is < 0) throw new ArgumentException($"--val-docs must be >= 0 (got {o.ValDocuments})");
        if (o.ShardTokens < 1024 || o.ShardTokens > int.MaxValue) throw new ArgumentException($"--shard-tokens must be in [1024, 2^31-1] (got {o.ShardTokens})");
        if (o.CleanShare is double s && (s < 0 || s >= 1 || double.IsNaN(s))) throw new ArgumentException($"--clean-share must be in [0, 1) (got {s})");
        if (o.MaxInputBytes < 1 || o.MaxInputBytes > InputLimit.MaxBytes)
            throw new ArgumentException($"{InputLimit.Option} must be in [1, {InputLimit.MaxBytes >> 20}] (got {o.MaxInputBytes >> 20})");
        if (o.Inputs.Count(f => f.IsStdin) > 1) throw new ArgumentException("stdin (-) can be given only once");
    }

    /// <summary>Keeps every noisy document and a seeded sample of clean ones so that clean tokens ≈ share of the total.</summary>
    private static List<Doc> Mix(List<Doc> docs, List<string> groups, double share, Rng rng)
    {
        int clean = groups.IndexOf("clean");
        if (clean < 0) return docs;
        var cleanDocs = docs.Where(d => d.Group == clean).ToArray();
        var others = docs.Where(d => d.Group != clean).ToList();
        long otherTokens = others.Sum(d => (long)d.Tokens + 1);
        double target = share / (1 - share) * otherTokens;
        rng.Shuffle(cleanDocs.AsSpan());
        long taken = 0;
        var kept = new List<Doc>(others);
        foreach (var d in cleanDocs)
        {
            if (taken >= target) break;
            kept.Add(d);
            taken += d.Tokens + 1;
        }
        kept.Sort((a, b) => a.Order.CompareTo(b.Order));
        return kept;
    }

    private static List<ShardInfo> WriteShards(string folder, string split, IEnumerable<Doc> docs, TokenSpill spill, long shardTokens, Action<long> onTokens)
    {
        var shards = new List<ShardInfo>();
        var buffer = new ushort[shardTokens];
        int fill = 0;
        void Flush()
        {
            string name = $"{split}_{shards.Count:D6}.bin";
            TokenShard.Write(Path.Combine(folder, name), buffer.AsSpan(0, fill));
            shards.Add(new ShardInfo(name, fill) { Checksum = TokenChecksum.Of(buffer.AsSpan(0, fill)) });
            onTokens(fill);
            fill = 0;
        }
        foreach (var doc in docs)
        {
            if (fill == buffer.Length) Flush();
            buffer[fill++] = Gpt2Tokenizer.EndOfText;
            long at = doc.Offset;
            int rest = doc.Tokens;
            while (rest > 0)
            {
                if (fill == buffer.Length) Flush();
                int n = Math.Min(rest, buffer.Length - fill);
                spill.Read(at, buffer.AsSpan(fill, n));
                fill += n;
                at += n;
                rest -= n;
            }
        }
        if (fill > 0) Flush();
        return shards;
    }

    /// <summary>The manifest of the dataset just written (<see cref="DatasetManifest"/>; docs/formats.md).</summary>
    private static DatasetManifest Manifest(PrepareOptions o, Gpt2Tokenizer tokenizer, List<string> domains,
        List<(string Path, string Sha256, long Bytes, int Documents)> sources, List<Doc> docs,
        (string Name, int[] Order)[] splits, Dictionary<string, List<ShardInfo>> shards, string holdout)
    {
        static ManifestCounts Counts(IEnumerable<Doc> docs)
        {
            long n = 0, tokens = 0, bytes = 0;
            foreach (var d in docs) { n++; tokens += d.Tokens + 1; bytes += d.Bytes; }
            return new ManifestCounts { Documents = n, Tokens = tokens, Bytes = bytes };
        }
        ManifestSplit Split(string name, int[] order)
        {
            var all = Counts(order.Select(i => docs[i]));
            return new ManifestSplit
            {
                Documents = all.Documents, Tokens = all.Tokens, Bytes = all.Bytes, Shards = shards[name],
                Domains = order.Select(i => docs[i]).GroupBy(d => d.Domain).OrderBy(g => g.Key).ToDictionary(g => domains[g.Key], g => Counts(g)),
            };
        }
        ManifestIndex Index(int[] order)
        {
            var starts = new long[order.Length];
            long start = 0;
            for (int i = 0; i < order.Length; i++) { starts[i] = start; start += docs[order[i]].Tokens + 1; }
            return new ManifestIndex
            {
                Start = starts, Tokens = order.Select(i => (long)docs[i].Tokens + 1).ToArray(), Bytes = order.Select(i => docs[i].Bytes).ToArray(),
                Domain = order.Select(i => (long)docs[i].Domain).ToArray(), Source = order.Select(i => (long)docs[i].Source).ToArray(),
            };
        }
        return new DatasetManifest
        {
            Format = Dataset.Format, Version = Dataset.FormatVersion, CreatedBy = "eslm prepare",
            Tokenizer = new ManifestTokenizer
            {
                Name = "gpt2", Hash = tokenizer.Hash, EncoderSha256 = Gpt2Vocabulary.EncoderSha256, MergesSha256 = Gpt2Vocabulary.MergesSha256,
                VocabSize = tokenizer.VocabularySize, Eot = Gpt2Tokenizer.EndOfText,
            },
            ShardFormat = new ManifestShardFormat
            {
                Kind = "llm.c", Magic = TokenShard.Magic, Version = TokenShard.Version, HeaderInt32 = TokenShard.HeaderInts, Dtype = "uint16",
                DocumentPrefix = "<|endoftext|>",
            },
            Options = new ManifestOptions
            {
                Recipe = o.Recipe, SplitDocuments = o.Input.Split.ToString().ToLowerInvariant(), Field = o.Input.Field, DomainField = o.Input.DomainField,
                Domain = o.Input.Domain, InvalidUtf8 = o.Input.InvalidUtf8.ToString().ToLowerInvariant(),
                ValDocs = o.ValDocuments, ValFraction = o.ValDocuments is null ? o.ValFraction : null,
                Seed = o.Seed, ShardTokens = o.ShardTokens, Shuffle = o.Shuffle, CleanShare = o.CleanShare,
            },
            ValHoldout = holdout,
            Sources = sources.Select(x => new ManifestSource { Path = x.Path, Sha256 = x.Sha256, Bytes = x.Bytes, Documents = x.Documents }).ToList(),
            Domains = domains,
            Splits = splits.ToDictionary(x => x.Name, x => Split(x.Name, x.Order)),
            Index = splits.ToDictionary(x => x.Name, x => Index(x.Order)),
        };
    }
}
