using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Eslm.Tensors;

/// <summary>
/// bfloat16 ↔ fp32. bf16 is the top 16 bits of an fp32 (sign, the same 8-bit exponent, 7 stored mantissa bits), stored
/// here as its raw <c>ushort</c> bit pattern. fp32 → bf16 rounds to nearest, ties to even, done with integer ops on the
/// bit patterns (.NET 10 has no AVX512-BF16 intrinsics): bits + 0x7FFF + (bit 16 of bits), then keep the top half.
/// Infinities survive unchanged (their low half is zero), finite values that round past the largest bf16 become ±inf,
/// denormals round like any other value, and NaNs become quiet NaNs (a NaN whose payload sits in the low half would
/// otherwise turn into infinity). bf16 → fp32 is exact: shift left by 16.
/// </summary>
public static unsafe class Bf16
{
    /// <summary>Rounds one fp32 to bf16 (nearest, ties to even; NaN → quiet NaN with the same sign).</summary>
    public static ushort FromFloat(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x0040);
        return (ushort)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
    }

    /// <summary>Widens one bf16 to fp32 (exact).</summary>
    public static float ToFloat(ushort value) => BitConverter.UInt32BitsToSingle((uint)value << 16);

    /// <summary>destination[i] = bf16(source[i]) for <paramref name="count"/> elements, 32 per iteration, same bits as <see cref="FromFloat(float)"/>.</summary>
    public static void FromFloat(float* source, ushort* destination, long count)
    {
        long i = 0;
        for (; i + 32 <= count; i += 32)
        {
            var lo = Round(Vector512.Load(source + i));
            var hi = Round(Vector512.Load(source + i + 16));
            Vector512.Store(Vector512.Narrow(lo, hi), destination + i);
        }
        for (; i < count; i++) destination[i] = FromFloat(source[i]);
    }

    /// <summary>bf16(x) for 16 values: the same bits as <see cref="FromFloat(float)"/>.</summary>
    public static Vector256<ushort> FromFloat(Vector512<float> x) => Vector512.Narrow(Round(x), Vector512<uint>.Zero).GetLower();

    /// <summary>destination[i] = fp32(source[i]) for <paramref name="count"/> elements.</summary>
    public static void ToFloat(ushort* source, float* destination, long count)
    {
        long i = 0;
        for (; i + 32 <= count; i += 32)
        {
            var (lo, hi) = Vector512.Widen(Vector512.Load(source + i));
            Vector512.Store((lo << 16).AsSingle(), destination + i);
            Vector512.Store((hi << 16).AsSingle(), destination + i + 16);
        }
        for (; i < count; i++) destination[i] = ToFloat(source[i]);
    }

    /// <summary>
    /// Converts a rows×columns block stored with row stride <paramref name="sourceStride"/> into a dense bf16 block
    /// (row stride = columns), rows spread over the workers (each owns a contiguous slice, so the result is the same on any
    /// thread count; conversion is element-wise anyway).
    /// </summary>
    public static void FromFloat(float* source, long sourceStride, ushort* destination, int rows, int columns)
    {
        if (rows == 0 || columns == 0) return;
        if (sourceStride == columns)
        {
            long total = (long)rows * columns;
            const int Block = 1 << 14; // 16K elements per work item: enough to amortise the worker hand-off
            int blocks = checked((int)((total + Block - 1) / Block));
            Parallelism.For(blocks, 4, (b0, b1) =>
            {
                long start = (long)b0 * Block, end = Math.Min(total, (long)b1 * Block);
                FromFloat(source + start, destination + start, end - start);
            });
            return;
        }
        Parallelism.For(rows, Math.Max(1, (1 << 14) / columns), (r0, r1) =>
        {
            for (int r = r0; r < r1; r++) FromFloat(source + r * sourceStride, destination + (long)r * columns, columns);
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> Round(Vector512<float> x)
    {
        var bits = x.AsUInt32();
        var rounded = (bits + Vector512.Create(0x7FFFu) + ((bits >> 16) & Vector512<uint>.One)) >> 16;
        var quietNan = (bits >> 16) | Vector512.Create(0x0040u);
        var isNan = ~Vector512.Equals(x, x).AsUInt32();
        return Vector512.ConditionalSelect(isNan, quietNan, rounded);
    }
}
