using System.Globalization;

namespace Eslm.Tensors;

/// <summary>
/// A small, explicit, serializable random number generator: xoshiro256** (Blackman and Vigna), seeded through SplitMix64.
/// The whole state is four 64-bit words; <see cref="State"/> / <see cref="FromState"/> round-trip it as a string so a
/// checkpoint can resume the exact stream. Same seed → same sequence on every machine and runtime (no System.Random).
/// </summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;

    public Rng(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
    }

    private Rng(ulong s0, ulong s1, ulong s2, ulong s3) { _s0 = s0; _s1 = s1; _s2 = s2; _s3 = s3; }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform integer in [0, maxExclusive), without modulo bias (the same draw as <see cref="NextInt64"/>).</summary>
    public int NextInt(int maxExclusive) => (int)NextInt64(maxExclusive);

    /// <summary>Uniform integer in [0, maxExclusive), without modulo bias (Lemire's method, 64-bit).</summary>
    public long NextInt64(long maxExclusive)
    {
        if (maxExclusive <= 0) throw new ArgumentOutOfRangeException(nameof(maxExclusive), "must be positive");
        ulong range = (ulong)maxExclusive;
        UInt128 m = (UInt128)NextUInt64() * range;
        if ((ulong)m < range)
        {
            ulong threshold = (0 - range) % range;
            while ((ulong)m < threshold) m = (UInt128)NextUInt64() * range;
        }
        return (long)(m >> 64);
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Standard normal (Box–Muller; two uniforms per draw, nothing cached, so the state stays four words).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble(); // (0, 1]
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>The full state as text, e.g. "xoshiro256**:0123…,…" (for state.json).</summary>
    public string State => string.Create(CultureInfo.InvariantCulture, $"xoshiro256**:{_s0:x16},{_s1:x16},{_s2:x16},{_s3:x16}");

    /// <summary>Restores a generator from <see cref="State"/>; a malformed string is a <see cref="FormatException"/>.</summary>
    public static Rng FromState(string state)
    {
        const string Prefix = "xoshiro256**:";
        if (state is null || !state.StartsWith(Prefix, StringComparison.Ordinal))
            throw new FormatException($"RNG state '{state}' does not start with '{Prefix}'");
        var parts = state[Prefix.Length..].Split(',');
        var words = new ulong[4];
        if (parts.Length != 4 || !parts.Select((p, i) => ulong.TryParse(p, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out words[i])).All(ok => ok))
            throw new FormatException($"RNG state '{state}' must hold four 64-bit hex words");
        if (words.All(w => w == 0)) throw new FormatException("RNG state of all zeros is invalid for xoshiro256**");
        return new Rng(words[0], words[1], words[2], words[3]);
    }

    public Rng Clone() => new(_s0, _s1, _s2, _s3);

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
