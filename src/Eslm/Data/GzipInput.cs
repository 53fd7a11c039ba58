using System.IO.Compression;
using Eslm.IO;

namespace Eslm.Data;

/// <summary>
/// Decompresses a gzip input text completely or not at all (<see cref="GzipTrailer"/>: a cut or padded .gz is an error,
/// never its readable prefix), within the input size limit and Eslm's text rules.
/// </summary>
public static class GzipInput
{
    /// <param name="limit">The most bytes the output may have (<see cref="InputLimit"/>).</param>
    public static byte[] Decompress(byte[] stored, string name, long limit = InputLimit.DefaultBytes)
    {
        byte[] output;
        try
        {
            using var gzip = new GZipStream(new MemoryStream(stored), CompressionMode.Decompress);
            output = InputLimit.ReadAll(gzip, limit, name, size: null, text: true);
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(name + ": ", StringComparison.Ordinal)) { throw new InvalidDataException($"{name}: not a valid gzip file ({e.Message})"); }
        GzipTrailer.Check(name, stored.Length, stored.AsSpan(Math.Max(0, stored.Length - 8)), output.Length, n => GzipTrailer.Crc32(output.AsSpan(output.Length - (int)n)));
        return output;
    }
}
