namespace Eslm.Data;

/// <summary>
/// The identity of a token stream (a split, a shard): FNV-1a (64-bit) over the little-endian uint16 stream, written
/// "fnv1a64:HEX". Cheap (one pass over memory-mapped shards) and enough to tell one dataset's tokens from another's; not
/// a security hash.
/// </summary>
public static class TokenChecksum
{
    private const ulong Prime = 1099511628211UL, Offset = 14695981039346656037UL;

    public static string Of(TokenSequence tokens) => Streamed(tokens.Count, tokens.CopyTo);

    public static string Of(TokenShard tokens) => Streamed(tokens.Count, tokens.CopyTo);

    public static string Of(ReadOnlySpan<ushort> tokens)
    {
        ulong hash = Offset;
        foreach (ushort t in tokens) hash = Add(hash, t);
        return Format(hash);
    }

    /// <summary>The same hash over a stream read in chunks of 64K tokens.</summary>
    private static string Streamed(long count, Action<long, Span<int>> copy)
    {
        ulong hash = Offset;
        var buffer = new int[1 << 16];
        for (long start = 0; start < count; start += buffer.Length)
        {
            var chunk = buffer.AsSpan(0, (int)Math.Min(buffer.Length, count - start));
            copy(start, chunk);
            foreach (int t in chunk) hash = Add(hash, t);
        }
        return Format(hash);
    }

    private static ulong Add(ulong hash, int token) => ((hash ^ (byte)token) * Prime ^ (byte)(token >> 8)) * Prime;

    private static string Format(ulong hash) => $"fnv1a64:{hash:x16}";
}
