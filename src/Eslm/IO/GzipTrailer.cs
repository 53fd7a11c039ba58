using System.Buffers.Binary;
using System.IO.Compression;

namespace Eslm.IO;

/// <summary>
/// Reads a gzip file completely or not at all. .NET's GZipStream ends quietly at the end of a truncated file (zlib checks
/// each member's trailer only when it reaches it), so a cut or padded .gz would give its readable prefix as if it were
/// the whole file. The check: the file's last 8 bytes must be the trailer of its last member, i.e. ISIZE is the length of
/// the output's final member and CRC32 matches those bytes (for one member: the whole output). Used for input texts
/// (Data.GzipInput, with its size limit and text rules) and for a committed study's metrics.jsonl.gz (Records).
/// </summary>
public static class GzipTrailer
{
    /// <summary>
    /// The whole decompressed content of <paramref name="stored"/>, checked against its trailer. <paramref name="read"/>
    /// drains the decompressing stream (default: all of it; Data.GzipInput passes its size limit and text rules, whose own
    /// errors already name the file and pass through as they are).
    /// </summary>
    public static byte[] Decompress(byte[] stored, string name, Func<Stream, byte[]>? read = null)
    {
        byte[] output;
        try
        {
            using var gzip = new GZipStream(new MemoryStream(stored), CompressionMode.Decompress);
            output = (read ?? ReadAll)(gzip);
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(name + ": ", StringComparison.Ordinal)) { throw new InvalidDataException($"{name}: not a valid gzip file ({e.Message})"); }
        Check(name, stored.Length, stored.AsSpan(Math.Max(0, stored.Length - 8)), output.Length, n => Crc32(output.AsSpan(output.Length - (int)n)));
        return output;
    }

    private static byte[] ReadAll(Stream stream)
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>
    /// Refuses a gzip file whose last 8 bytes (<paramref name="trailer"/>) are not the trailer of the output's final member:
    /// ISIZE at most the output's length and CRC32 that of the output's last ISIZE bytes (<paramref name="suffixCrc"/>).
    /// </summary>
    public static void Check(string name, long stored, ReadOnlySpan<byte> trailer, long outputLength, Func<uint, uint> suffixCrc)
    {
        if (stored < 18) throw new InvalidDataException($"{name}: truncated gzip file ({stored} bytes, shorter than a gzip header and trailer)");
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]);
        // ISIZE is the member's length mod 2^32; members above 4 GiB are not expected for text inputs.
        if (size > outputLength || suffixCrc(size) != crc)
            throw new InvalidDataException($"{name}: truncated or corrupt gzip file (its end is not a gzip trailer; " +
                                           $"{outputLength} bytes were readable): re-download or re-compress it");
    }

    /// <summary>CRC-32 as gzip uses it (IEEE 802.3, reflected, init and final xor 0xFFFFFFFF): System.IO.Hashing's.</summary>
    public static uint Crc32(ReadOnlySpan<byte> bytes) => System.IO.Hashing.Crc32.HashToUInt32(bytes);
}
