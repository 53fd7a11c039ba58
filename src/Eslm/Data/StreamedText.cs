using System.Buffers;
using System.IO.Compression;
using System.Text.Unicode;

namespace Eslm.Data;

/// <summary>
/// An input (a file, a .gz file, or standard input) read as UTF-8 text a chunk at a time (issue 21: memory bounded
/// whatever the input's size), with the rules of <see cref="DocumentReader.ReadBytes"/>, <see cref="GzipInput"/> and
/// <see cref="TextDecoding.Decode"/>: at most the limit (after decompression); a file giving more bytes than its size is
/// refused; UTF-16 and NUL bytes are refused; the byte-order mark is dropped; invalid UTF-8 is an error naming its byte
/// (counted after the mark, as Decode does) or becomes U+FFFD; a .gz file must end in its final member's trailer. A UTF-8
/// sequence cut by a read waits for the next read, so the chunks concatenated are the text of the whole input.
/// After the enumeration, <see cref="Sha256"/> and <see cref="StoredBytes"/> describe the bytes as stored.
/// </summary>
internal sealed class StreamedText
{
    private readonly string _name;
    private readonly Func<Stream> _open;
    private readonly long? _size;
    private readonly bool _gzip;
    private readonly InvalidUtf8 _mode;
    private readonly long _limit;
    private readonly int _chunkBytes;
    private StoredInput? _stored;
    private long _decoded; // bytes given by the (decompressed) stream
    private System.IO.Hashing.Crc32? _crc;

    private StreamedText(string name, Func<Stream> open, long? size, bool gzip, InvalidUtf8 mode, long limit, int chunkBytes) =>
        (_name, _open, _size, _gzip, _mode, _limit, _chunkBytes) = (name, open, size, gzip, mode, limit, chunkBytes);

    /// <summary>A file (decompressed when it ends in .gz), or standard input through <paramref name="stdin"/>.</summary>
    public static StreamedText Of(InputFile file, Func<Stream>? stdin, InvalidUtf8 mode, long limit, int chunkBytes)
    {
        if (file.IsStdin) return new("<stdin>", stdin ?? throw new ArgumentException("standard input (-) needs a stream"), null, false, mode, limit, chunkBytes);
        string path = file.Path;
        DocumentReader.RequireFile(path);
        long size = new FileInfo(path).Length;
        if (size > limit) throw InputLimit.TooLarge(path, limit);
        return new(path, () => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan), size,
            path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase), mode, limit, chunkBytes);
    }

    public string Sha256 { get; private set; } = "";
    public long StoredBytes { get; private set; }
    /// <summary>Stored bytes read so far (for progress).</summary>
    public long BytesRead => _stored?.Count ?? 0;

    public IEnumerable<string> Chunks()
    {
        using var stored = _stored = new StoredInput(_open(), _name, _size);
        using var text = _gzip ? new GZipStream(stored, CompressionMode.Decompress, leaveOpen: true) : (Stream)stored;
        if (_gzip) _crc = new System.IO.Hashing.Crc32();
        var buffer = new byte[_chunkBytes + 8]; // an unfinished UTF-8 sequence (at most 3 bytes) stays at its start
        var chars = new char[_chunkBytes + 8];  // one byte never gives more than one UTF-16 unit
        int held = 0;
        long used = 0; // bytes decoded since the byte-order mark, for messages
        bool started = false;
        while (true)
        {
            int read = ReadText(text, buffer.AsSpan(held, _chunkBytes));
            bool final = read == 0;
            int start = 0, length = held + read;
            if (!started)
            {
                if (length < 3 && !final) { held = length; continue; }
                started = true;
                if (buffer.AsSpan(0, length).StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) start = 3;
            }
            int n = Decode(buffer.AsSpan(start, length - start), chars, final, used, out int written);
            used += n;
            // the unfinished sequence moves to the buffer's start before the text is handed over (no span lives across a yield)
            held = length - start - n;
            buffer.AsSpan(start + n, held).CopyTo(buffer);
            if (written > 0) yield return new string(chars, 0, written);
            if (final) break;
        }
        if (_gzip) CheckGzipEnd(stored);
        (Sha256, StoredBytes) = (stored.Sha256(), stored.Count);
    }

    /// <summary>The next bytes of text, checked: within the limit, no NUL or UTF-16; gzip errors named as such.</summary>
    private int ReadText(Stream text, Span<byte> into)
    {
        int read;
        try { read = text.Read(into); }
        catch (InvalidDataException e) when (_gzip && !e.Message.StartsWith(_name + ": ", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{_name}: not a valid gzip file ({e.Message})");
        }
        long at = _decoded;
        if ((_decoded += read) > _limit) throw InputLimit.TooLarge(_name, _limit);
        TextDecoding.CheckText(into[..read], _name, at);
        _crc?.Append(into[..read]);
        return read;
    }

    /// <summary>Decodes what it can of <paramref name="bytes"/> (an unfinished sequence at the end waits unless
    /// <paramref name="final"/>); returns the bytes used. <paramref name="before"/>: bytes decoded before, for the message.</summary>
    private int Decode(ReadOnlySpan<byte> bytes, char[] chars, bool final, long before, out int written)
    {
        var status = Utf8.ToUtf16(bytes, chars, out int used, out written, replaceInvalidSequences: _mode == InvalidUtf8.Replace, isFinalBlock: final);
        if (status == OperationStatus.InvalidData)
            throw new InvalidDataException($"{_name}: invalid UTF-8 at byte {before + used} (use --invalid-utf8 replace to continue)");
        if (status == OperationStatus.DestinationTooSmall) throw new InvalidOperationException("StreamedText: character buffer too small");
        return used;
    }

    /// <summary>The file's last 8 bytes must be its final member's trailer (<see cref="Eslm.IO.GzipTrailer.Check"/>). The CRC of
    /// the whole output serves a one-member file; for several members the output's tail is decompressed again.</summary>
    private void CheckGzipEnd(StoredInput stored)
    {
        stored.Drain();
        uint whole = _crc!.GetCurrentHashAsUInt32();
        Eslm.IO.GzipTrailer.Check(_name, stored.Count, stored.Last, _decoded, n => n == _decoded ? whole : SuffixCrc(_decoded - n));
    }

    private uint SuffixCrc(long skip)
    {
        using var gzip = new GZipStream(_open(), CompressionMode.Decompress);
        var crc = new System.IO.Hashing.Crc32();
        var buffer = new byte[1 << 16];
        for (int read; (read = gzip.Read(buffer)) > 0; skip -= read)
        {
            if (skip >= read) continue;
            crc.Append(buffer.AsSpan((int)Math.Max(0, skip), read - (int)Math.Max(0, skip)));
        }
        return crc.GetCurrentHashAsUInt32();
    }
}
