using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;

namespace Eslm.Tokenization;

/// <summary>
/// GPT-2's byte-level BPE tokenizer (OpenAI's r50k_base / "gpt2"), exact and fast.
///
/// Encoding a text: cut it into pieces with <see cref="PreTokenizer"/>; spell each piece as UTF-8 bytes (a lone surrogate
/// becomes U+FFFD, as in tiktoken and SharpToken); start from one token per byte and repeatedly merge the adjacent pair
/// whose concatenation is the vocabulary entry with the lowest id (ties: leftmost), until no adjacent pair is in the
/// vocabulary. A piece that is itself a vocabulary entry is that token. These are tiktoken's rules (token ids are its
/// merge ranks; rank i of vocab.bpe creates id 256 + i), which the SharpToken oracle follows.
///
/// Speed: a per-thread cache maps piece text → ids (most pieces are common words), pair lookups hit an open-addressing
/// table of ints, long pieces use a heap instead of the quadratic scan, and <see cref="EncodeBatch"/> / <see cref="EncodeLarge"/>
/// spread documents or chunks of one text (cut where a piece boundary is certain) over threads.
/// Thread-safe: one instance can be used from many threads.
/// </summary>
public sealed class Gpt2Tokenizer
{
    public const int EndOfText = Gpt2Vocabulary.EndOfTextId;
    private const int NoMerge = int.MaxValue;
    private const int CacheLimit = 250_000;
    private const int LongPiece = 160;

    private static readonly Lazy<Gpt2Tokenizer> s_default = new(() => new Gpt2Tokenizer(Gpt2Vocabulary.Default));

    /// <summary>The embedded GPT-2 tokenizer (loaded on first use).</summary>
    public static Gpt2Tokenizer Default => s_default.Value;

    private readonly Gpt2Vocabulary _vocab;
    private readonly PairTable _pairs;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _encoderLookup;
    private readonly char[] _byteToUnicode = Gpt2Vocabulary.ByteToUnicode();
    private readonly ThreadLocal<Dictionary<string, int[]>> _cache = new(() => new Dictionary<string, int[]>(4096));

    public Gpt2Tokenizer(Gpt2Vocabulary vocabulary)
    {
        _vocab = vocabulary;
        _encoderLookup = vocabulary.Encoder.GetAlternateLookup<ReadOnlySpan<char>>();
        _pairs = new PairTable(1 << 18);
        // Every split of every token into two tokens is a mergeable pair ranked by the whole token's id (tiktoken's rule).
        foreach (var (text, id) in vocabulary.Encoder)
        {
            if (id == EndOfText) continue;
            for (int k = 1; k < text.Length; k++)
                if (_encoderLookup.TryGetValue(text.AsSpan(0, k), out int left) && _encoderLookup.TryGetValue(text.AsSpan(k), out int right))
                    _pairs.Add(left, right, id);
        }
    }

    public int VocabularySize => _vocab.Count;

    /// <summary>Identifies the vocabulary and merges (goes into dataset manifests).</summary>
    public string Hash => _vocab.Hash;

    /// <summary>Token ids of a text. With <paramref name="allowSpecial"/>, a literal "&lt;|endoftext|&gt;" becomes 50256;
    /// otherwise it is ordinary text (tiktoken's encode_ordinary, what nanoGPT's prepare scripts use).</summary>
    public int[] Encode(ReadOnlySpan<char> text, bool allowSpecial = false)
    {
        var output = new List<int>(text.Length / 3 + 4);
        Encode(text, output, allowSpecial);
        return output.ToArray();
    }

    /// <summary>Appends the ids of a text to <paramref name="output"/>.</summary>
    public void Encode(ReadOnlySpan<char> text, List<int> output, bool allowSpecial = false)
    {
        if (!allowSpecial) { EncodeOrdinary(text, output); return; }
        while (true)
        {
            int at = text.IndexOf(Gpt2Vocabulary.EndOfText, StringComparison.Ordinal);
            if (at < 0) { EncodeOrdinary(text, output); return; }
            EncodeOrdinary(text[..at], output);
            output.Add(EndOfText);
            text = text[(at + Gpt2Vocabulary.EndOfText.Length)..];
        }
    }

    private void EncodeOrdinary(ReadOnlySpan<char> text, List<int> output)
    {
        var cache = _cache.Value!;
        var lookup = cache.GetAlternateLookup<ReadOnlySpan<char>>();
        for (int i = 0; i < text.Length;)
        {
            int length = PreTokenizer.NextPiece(text, i);
            var piece = text.Slice(i, length);
            i += length;
            if (lookup.TryGetValue(piece, out int[]? ids))
            {
                if (ids.Length == 1) output.Add(ids[0]); else output.AddRange(ids);
                continue;
            }
            ids = EncodePiece(piece);
            if (cache.Count >= CacheLimit) cache.Clear();
            lookup[piece] = ids;
            output.AddRange(ids);
        }
    }

    /// <summary>Ids of one pre-tokenised piece (no cache).</summary>
    internal int[] EncodePiece(ReadOnlySpan<char> piece)
    {
        int maxBytes = Encoding.UTF8.GetMaxByteCount(piece.Length);
        byte[]? rented = maxBytes > 1024 ? ArrayPool<byte>.Shared.Rent(maxBytes) : null;
        Span<byte> bytes = rented ?? stackalloc byte[1024];
        try
        {
            int n = Encoding.UTF8.GetBytes(piece, bytes);
            return EncodeBytes(bytes[..n]);
        }
        finally { if (rented is not null) ArrayPool<byte>.Shared.Return(rented); }
    }

    /// <summary>BPE of one piece given as bytes.</summary>
    internal int[] EncodeBytes(ReadOnlySpan<byte> bytes)
    {
        int n = bytes.Length;
        if (n == 0) return [];
        if (n == 1) return [_vocab.ByteToId[bytes[0]]];
        // A piece that is a vocabulary entry is one token (tiktoken's shortcut, so the oracle agrees even where BPE would not reach it).
        char[]? rentedChars = n > 512 ? ArrayPool<char>.Shared.Rent(n) : null;
        Span<char> spelled = rentedChars ?? stackalloc char[512];
        try
        {
            for (int i = 0; i < n; i++) spelled[i] = _byteToUnicode[bytes[i]];
            if (_encoderLookup.TryGetValue(spelled[..n], out int whole)) return [whole];
        }
        finally { if (rentedChars is not null) ArrayPool<char>.Shared.Return(rentedChars); }
        return n <= LongPiece ? MergeShort(bytes) : MergeLong(bytes);
    }

    /// <summary>The quadratic merge loop on arrays: best for the short pieces that make up nearly all text.</summary>
    private int[] MergeShort(ReadOnlySpan<byte> bytes)
    {
        int m = bytes.Length;
        Span<int> ids = stackalloc int[m];
        Span<int> ranks = stackalloc int[m];
        for (int i = 0; i < m; i++) ids[i] = _vocab.ByteToId[bytes[i]];
        for (int i = 0; i + 1 < m; i++) ranks[i] = _pairs.Get(ids[i], ids[i + 1]);
        while (m > 1)
        {
            int best = NoMerge, at = -1;
            for (int i = 0; i + 1 < m; i++)
                if (ranks[i] < best) { best = ranks[i]; at = i; }
            if (at < 0) break;
            ids[at] = best; // the rank is the merged token's id
            ids.Slice(at + 2, m - at - 2).CopyTo(ids.Slice(at + 1));
            ranks.Slice(at + 2, Math.Max(0, m - at - 3)).CopyTo(ranks.Slice(at + 1));
            m--;
            if (at > 0) ranks[at - 1] = _pairs.Get(ids[at - 1], ids[at]);
            if (at + 1 < m) ranks[at] = _pairs.Get(ids[at], ids[at + 1]);
        }
        return ids[..m].ToArray();
    }

    /// <summary>The same merges with a linked list and a heap of (rank, position): O(n log n) for long pieces.</summary>
    private int[] MergeLong(ReadOnlySpan<byte> bytes)
    {
        int n = bytes.Length;
        var ids = new int[n];
        var next = new int[n];
        var prev = new int[n];
        for (int i = 0; i < n; i++) { ids[i] = _vocab.ByteToId[bytes[i]]; next[i] = i + 1 < n ? i + 1 : -1; prev[i] = i - 1; }
        var heap = new PriorityQueue<int, long>();
        void Push(int left)
        {
            if (left < 0 || next[left] < 0) return;
            int right = next[left];
            int rank = _pairs.Get(ids[left], ids[right]);
            if (rank != NoMerge) heap.Enqueue(left, ((long)rank << 32) | (uint)left);
        }
        for (int i = 0; i + 1 < n; i++) Push(i);
        while (heap.TryDequeue(out int left, out long key))
        {
            int rank = (int)(key >> 32);
            if (ids[left] < 0) continue; // removed node
            int right = next[left];
            if (right < 0 || _pairs.Get(ids[left], ids[right]) != rank) continue; // stale entry
            ids[left] = rank;
            ids[right] = -1;
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            if (prev[left] >= 0) Push(prev[left]);
            Push(left);
        }
        var result = new List<int>();
        for (int i = 0; i >= 0; i = next[i]) result.Add(ids[i]);
        return result.ToArray();
    }

    /// <summary>Encodes many documents in parallel (one thread per core unless <paramref name="threads"/> says otherwise).</summary>
    public int[][] EncodeBatch(IReadOnlyList<string> documents, int threads = 0, bool allowSpecial = false)
    {
        var result = new int[documents.Count][];
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        Parallel.For(0, documents.Count, options, i => result[i] = Encode(documents[i], allowSpecial));
        return result;
    }

    /// <summary>Encodes one long text in parallel chunks cut where a piece boundary is certain (same ids as <see cref="Encode(ReadOnlySpan{char}, bool)"/>).</summary>
    public int[] EncodeLarge(string text, int threads = 0, int chunkChars = 1 << 18, bool allowSpecial = false)
    {
        if (allowSpecial && text.Contains(Gpt2Vocabulary.EndOfText, StringComparison.Ordinal))
            return Encode(text, allowSpecial: true); // rare; keep the simple path
        var cuts = new List<int> { 0 };
        while (cuts[^1] < text.Length)
        {
            int target = cuts[^1] + chunkChars;
            if (target >= text.Length) { cuts.Add(text.Length); break; }
            int cut = target;
            while (cut < text.Length && !PreTokenizer.IsSafeCut(text, cut)) cut++;
            cuts.Add(cut);
        }
        var parts = new List<int>[cuts.Count - 1];
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        Parallel.For(0, parts.Length, options, c =>
        {
            var list = new List<int>((cuts[c + 1] - cuts[c]) / 3 + 4);
            EncodeOrdinary(text.AsSpan(cuts[c], cuts[c + 1] - cuts[c]), list);
            parts[c] = list;
        });
        var result = new int[parts.Sum(p => p.Count)];
        int at = 0;
        foreach (var p in parts) { CollectionsMarshal.AsSpan(p).CopyTo(result.AsSpan(at)); at += p.Count; }
        return result;
    }

    /// <summary>The bytes the ids stand for (any id in [0, 50257); others are an <see cref="ArgumentException"/>).</summary>
    public byte[] DecodeToBytes(ReadOnlySpan<int> ids)
    {
        var tokenBytes = _vocab.TokenBytes;
        int total = 0;
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)tokenBytes.Length) throw new ArgumentException($"token id {id} is outside the GPT-2 vocabulary [0, {tokenBytes.Length})");
            total += tokenBytes[id].Length;
        }
        var result = new byte[total];
        int at = 0;
        foreach (int id in ids) { tokenBytes[id].CopyTo(result, at); at += tokenBytes[id].Length; }
        return result;
    }

    /// <summary>Text of the ids (bytes that are not valid UTF-8 on their own become U+FFFD, as in tiktoken's errors="replace").</summary>
    public string Decode(ReadOnlySpan<int> ids) => Encoding.UTF8.GetString(DecodeToBytes(ids));

    /// <summary>Bytes of one token.</summary>
    public ReadOnlySpan<byte> TokenToBytes(int id) => _vocab.TokenBytes[id];

    /// <summary>Open addressing (linear probing) from a pair of token ids to the merged id; about 108k entries in 2^18 slots.</summary>
    private sealed class PairTable(int capacity)
    {
        private readonly long[] _keys = Enumerable.Repeat(-1L, capacity).ToArray();
        private readonly int[] _values = new int[capacity];
        private readonly int _mask = capacity - 1;
        private readonly int _shift = 64 - System.Numerics.BitOperations.Log2((uint)capacity);

        private static long Key(int left, int right) => ((long)left << 32) | (uint)right;
        private int Slot(long key) => (int)((ulong)(key * unchecked((long)0x9E3779B97F4A7C15UL)) >> _shift);

        public void Add(int left, int right, int value)
        {
            long key = Key(left, right);
            int slot = Slot(key);
            while (_keys[slot] != -1 && _keys[slot] != key) slot = (slot + 1) & _mask;
            if (_keys[slot] == key && _values[slot] <= value) return; // keep the lowest id (cannot differ: one concatenation, one token)
            _keys[slot] = key;
            _values[slot] = value;
        }

        public int Get(int left, int right)
        {
            long key = Key(left, right);
            int slot = Slot(key);
            while (true)
            {
                long k = _keys[slot];
                if (k == key) return _values[slot];
                if (k == -1) return NoMerge;
                slot = (slot + 1) & _mask;
            }
        }
    }
}
