using System.Buffers;
using System.Security.Cryptography;
using System.Text.Unicode;

namespace Eslm.Data;

/// <summary>
/// An uncompressed regular file read as UTF-8 text a chunk at a time (issue 21: memory bounded whatever the input's
/// size), with the rules of <see cref="TextDecoding.Decode"/> and <see cref="InputLimit.ReadAll"/>: the byte-order mark is
/// dropped, UTF-16 and NUL bytes are refused, invalid UTF-8 is an error naming its byte (counted after the mark, as
/// Decode does) or becomes U+FFFD, a file over the limit or giving more bytes than its size is refused. A UTF-8 sequence
/// cut by a read waits for the next read, so the chunks concatenated are the text Decode gives for the whole file.
/// After the enumeration, <see cref="Sha256"/> and <see cref="StoredBytes"/> describe the file's bytes.
/// </summary>
internal sealed class StreamedText(string path, InvalidUtf8 mode, long limit, int chunkBytes)
{
    public string Sha256 { get; private set; } = "";
    public long StoredBytes { get; private set; }
    /// <summary>Bytes read so far (for progress).</summary>
    public long BytesRead { get; private set; }

    public IEnumerable<string> Chunks()
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file");
        long size = new FileInfo(path).Length;
        if (size > limit) throw InputLimit.TooLarge(path, limit);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[chunkBytes + 8]; // an unfinished UTF-8 sequence (at most 3 bytes) stays at its start
        var chars = new char[chunkBytes + 8];  // one byte never gives more than one UTF-16 unit
        int held = 0;
        long decoded = 0; // bytes decoded since the byte-order mark, for messages
        bool started = false;
        while (true)
        {
            int read = stream.Read(buffer, held, chunkBytes);
            bool final = read == 0;
            if (!final) Check(buffer.AsSpan(held, read), hash, size);
            int start = 0, length = held + read;
            if (!started)
            {
                if (length < 3 && !final) { held = length; continue; }
                started = true;
                if (buffer.AsSpan(0, length).StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) start = 3;
            }
            int used = Decode(buffer.AsSpan(start, length - start), chars, final, decoded, out int written);
            decoded += used;
            // the unfinished sequence moves to the buffer's start before the text is handed over (no span lives across a yield)
            held = length - start - used;
            buffer.AsSpan(start + used, held).CopyTo(buffer);
            if (written > 0) yield return new string(chars, 0, written);
            if (final) break;
        }
        Sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
        StoredBytes = BytesRead;
    }

    /// <summary>Decodes what it can of <paramref name="bytes"/> (an unfinished sequence at the end waits unless
    /// <paramref name="final"/>); returns the bytes used. <paramref name="decoded"/>: bytes decoded before, for the message.</summary>
    private int Decode(ReadOnlySpan<byte> bytes, char[] chars, bool final, long decoded, out int written)
    {
        var status = Utf8.ToUtf16(bytes, chars, out int used, out written, replaceInvalidSequences: mode == InvalidUtf8.Replace, isFinalBlock: final);
        if (status == OperationStatus.InvalidData)
            throw new InvalidDataException($"{path}: invalid UTF-8 at byte {decoded + used} (use --invalid-utf8 replace to continue)");
        if (status == OperationStatus.DestinationTooSmall) throw new InvalidOperationException("StreamedText: character buffer too small");
        return used;
    }

    private void Check(ReadOnlySpan<byte> read, IncrementalHash hash, long size)
    {
        long at = BytesRead;
        if ((BytesRead += read.Length) > size)
            throw new InvalidDataException($"{path}: not a regular file (it gives more bytes than its size of {size}: a device, a pipe or a file " +
                                           "still being written); give a text file, or - for standard input");
        hash.AppendData(read);
        TextDecoding.CheckText(read, path, at);
    }
}
