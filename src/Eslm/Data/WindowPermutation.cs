namespace Eslm.Data;

/// <summary>
/// A seeded permutation of [0, count), evaluated one index at a time: a 4-round Feistel network over the smallest
/// even number of bits that holds count, cycle-walking values ≥ count back into range (at most 4× the domain, so a
/// few steps at worst). A bijection for any key; O(1) memory, so an epoch of any size is shuffled without an index
/// array and a resumed run needs only the key and its position.
/// </summary>
public readonly struct WindowPermutation
{
    private readonly long _count;
    private readonly ulong _key;
    private readonly int _halfBits;
    private readonly ulong _halfMask;

    public WindowPermutation(long count, ulong key)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        _count = count;
        _key = key;
        int bits = Math.Max(2, 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)(count - 1)));
        _halfBits = (bits + 1) / 2;
        _halfMask = (1UL << _halfBits) - 1;
    }

    public long Count => _count;

    /// <summary>The index that position <paramref name="i"/> of the permuted order holds.</summary>
    public long this[long i]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(i);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(i, _count);
            ulong x = (ulong)i;
            do x = Encrypt(x); while (x >= (ulong)_count);
            return (long)x;
        }
    }

    private ulong Encrypt(ulong x)
    {
        ulong left = x >> _halfBits, right = x & _halfMask;
        for (ulong round = 0; round < 4; round++)
        {
            ulong mixed = Mix(right ^ (_key + round * 0x9E3779B97F4A7C15UL)) & _halfMask;
            (left, right) = (right, left ^ mixed);
        }
        return (left << _halfBits) | right;
    }

    /// <summary>SplitMix64's finaliser: every input bit reaches every output bit.</summary>
    internal static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
