namespace Eslm.Data;

/// <summary>
/// The identity of a split's tokens: FNV-1a (64-bit) over the little-endian uint16 stream, written "fnv1a64:HEX". Cheap
/// (one pass over memory-mapped shards) and enough to tell one dataset's split from another's; not a security hash.
/// </summary>
public static class TokenChecksum
{
    public static string Of(TokenSequence tokens)
    {
        const ulong prime = 1099511628211UL;
        ulong hash = 14695981039346656037UL;
        var buffer = new int[1 << 16];
        for (long start = 0; start < tokens.Count; start += buffer.Length)
        {
            var chunk = buffer.AsSpan(0, (int)Math.Min(buffer.Length, tokens.Count - start));
            tokens.CopyTo(start, chunk);
            foreach (int t in chunk)
            {
                hash = (hash ^ (byte)t) * prime;
                hash = (hash ^ (byte)(t >> 8)) * prime;
            }
        }
        return $"fnv1a64:{hash:x16}";
    }
}
