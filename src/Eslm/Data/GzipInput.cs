using Eslm.IO;

namespace Eslm.Data;

/// <summary>
/// Decompresses a gzip input text completely or not at all (<see cref="GzipTrailer"/>: a cut or padded .gz is an error,
/// never its readable prefix), within the input size limit and Eslm's text rules.
/// </summary>
public static class GzipInput
{
    /// <param name="limit">The most bytes the output may have (<see cref="InputLimit"/>).</param>
    public static byte[] Decompress(byte[] stored, string name, long limit = InputLimit.DefaultBytes) =>
        GzipTrailer.Decompress(stored, name, gzip => InputLimit.ReadAll(gzip, limit, name, size: null, text: true));
}
