using Eslm.Tensors;
using Xunit;

namespace Eslm.Tests.Tensors;

/// <summary>fp32 → bf16 round to nearest even on the bit patterns (scalar and Vector512 paths), bf16 → fp32 exact.</summary>
public unsafe class Bf16Tests
{
    private static ushort Round(uint bits) => Bf16.FromFloat(BitConverter.UInt32BitsToSingle(bits));

    [Theory]
    [InlineData(0x3F800000u, 0x3F80)] // 1.0 exactly
    [InlineData(0x3F808000u, 0x3F80)] // tie, lower neighbour even: stays
    [InlineData(0x3F818000u, 0x3F82)] // tie, lower neighbour odd: rounds up to even
    [InlineData(0x3F808001u, 0x3F81)] // just above the tie: up
    [InlineData(0x3F807FFFu, 0x3F80)] // just below the tie: down
    [InlineData(0xBF818000u, 0xBF82)] // sign is kept, ties to even in magnitude
    [InlineData(0x7F800000u, 0x7F80)] // +inf
    [InlineData(0xFF800000u, 0xFF80)] // -inf
    [InlineData(0x7F7FFFFFu, 0x7F80)] // largest float rounds past the largest bf16: +inf
    [InlineData(0x00000001u, 0x0000)] // smallest denormal rounds to zero
    [InlineData(0x00008000u, 0x0000)] // denormal tie, even: down
    [InlineData(0x00018000u, 0x0002)] // denormal tie, odd: up
    [InlineData(0x0000FFFFu, 0x0001)] // denormal above the tie: up to the smallest bf16 denormal
    [InlineData(0x80000000u, 0x8000)] // -0
    public void Rounding_is_to_nearest_with_ties_to_even(uint bits, int expected) => Assert.Equal((ushort)expected, Round(bits));

    [Theory]
    [InlineData(0x7FC00000u)] // quiet NaN
    [InlineData(0x7F800001u)] // signalling NaN with its payload in the low half only: must not become inf
    [InlineData(0xFF80FFFFu)]
    [InlineData(0x7FFFFFFFu)] // would carry into the sign bit without the NaN case
    public void NaN_stays_NaN_and_keeps_its_sign(uint bits)
    {
        ushort r = Round(bits);
        Assert.True(float.IsNaN(Bf16.ToFloat(r)), $"0x{bits:X8} → 0x{r:X4} is not NaN");
        Assert.Equal(bits >> 31, (uint)r >> 15);
    }

    [Fact]
    public void Widening_every_bf16_and_rounding_back_is_the_identity_except_for_quieting_NaNs()
    {
        for (int v = 0; v < 65536; v++)
        {
            float f = Bf16.ToFloat((ushort)v);
            Assert.Equal(BitConverter.SingleToUInt32Bits(f), (uint)v << 16);
            ushort back = Bf16.FromFloat(f);
            if (float.IsNaN(f)) Assert.True(float.IsNaN(Bf16.ToFloat(back)));
            else Assert.Equal((ushort)v, back);
        }
    }

    [Fact]
    public void Vector_conversion_equals_scalar_conversion_on_random_and_special_bit_patterns()
    {
        var rng = new Random(11);
        int n = 100_003; // not a multiple of 32: exercises the scalar tail
        var bits = new uint[n];
        for (int i = 0; i < n; i++) bits[i] = (uint)rng.NextInt64(0, 1L << 32);
        uint[] special = [0x7F800001, 0x7FFFFFFF, 0xFF800000, 0x7F7FFFFF, 0x3F808000, 0x3F818000, 0x00008000, 0x00018000, 0x80000000];
        special.CopyTo(bits, 0); special.CopyTo(bits, 40); // some in the vector body, some in the first block
        var source = new float[n];
        for (int i = 0; i < n; i++) source[i] = BitConverter.UInt32BitsToSingle(bits[i]);
        var vector = new ushort[n];
        fixed (float* s = source)
        fixed (ushort* d = vector)
            Bf16.FromFloat(s, d, n);
        for (int i = 0; i < n; i++) Assert.True(Bf16.FromFloat(source[i]) == vector[i], $"element {i}: 0x{bits[i]:X8}");

        var widened = new float[n];
        fixed (ushort* s = vector)
        fixed (float* d = widened)
            Bf16.ToFloat(s, d, n);
        for (int i = 0; i < n; i++) Assert.Equal((uint)vector[i] << 16, BitConverter.SingleToUInt32Bits(widened[i]));
    }

    [Fact]
    public void Strided_conversion_packs_the_rows_densely()
    {
        int rows = 7, columns = 45, stride = 50;
        var source = new float[rows * stride];
        for (int i = 0; i < source.Length; i++) source[i] = i * 0.37f - 40f;
        var packed = new ushort[rows * columns];
        fixed (float* s = source)
        fixed (ushort* d = packed)
            Bf16.FromFloat(s, stride, d, rows, columns);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++) Assert.Equal(Bf16.FromFloat(source[r * stride + c]), packed[r * columns + c]);
    }
}
