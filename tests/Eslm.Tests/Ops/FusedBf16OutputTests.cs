using Eslm.Ops;
using Eslm.Tensors;
using Eslm.Tests.Reference;
using Xunit;
using static Eslm.Tests.Reference.Numerics;

namespace Eslm.Tests.Ops;

/// <summary>
/// Element-wise ops that write, in the same loop, the bf16 rounding the next bf16 product reads (issue 24, item 3), and
/// the residual add fused into the bias pass: each must give exactly what the unfused passes give (the fp32 output of the
/// plain op, then <see cref="Bf16.FromFloat(float*, ushort*, long)"/> over it; a copy of the residual, then the bias added
/// onto it), bit for bit, over sizes that end in a vector tail.
/// </summary>
public unsafe class FusedBf16OutputTests
{
    public FusedBf16OutputTests() => Blas.Ensure();

    private static ushort[] RoundingPass(float[] values)
    {
        var rounded = new ushort[values.Length];
        fixed (float* v = values) fixed (ushort* r = rounded) Bf16.FromFloat(v, r, values.Length);
        return rounded;
    }

    [Theory]
    [InlineData(1, 1)] [InlineData(3, 7)] [InlineData(2, 33)] [InlineData(5, 64)] [InlineData(3, 1000)]
    public void LayerNorm_writes_the_same_output_and_its_bf16_rounding_in_one_pass(int rows, int channels)
    {
        var rng = new Random(rows * 31 + channels);
        float[] x = Randn(rng, rows * channels, 2, 0.7), w = Randn(rng, channels, 0.3, 1), b = Randn(rng, channels, 0.5);
        float[] plain = new float[x.Length], fused = new float[x.Length];
        float[] mean = new float[rows], rstd = new float[rows], fusedMean = new float[rows], fusedRstd = new float[rows];
        var shadow = new ushort[x.Length];
        fixed (float* px = x, pw = w, pb = b, po = plain, pf = fused, pm = mean, ps = rstd, pfm = fusedMean, pfs = fusedRstd)
        fixed (ushort* sh = shadow)
        {
            LayerNorm.Forward(po, pm, ps, px, pw, pb, rows, channels);
            LayerNorm.Forward(pf, pfm, pfs, px, pw, pb, rows, channels, sh);
        }
        Assert.True(plain.AsSpan().SequenceEqual(fused), "the fp32 output changed when the rounding was fused");
        Assert.True(mean.AsSpan().SequenceEqual(fusedMean) && rstd.AsSpan().SequenceEqual(fusedRstd), "mean or rstd changed");
        Assert.True(RoundingPass(plain).AsSpan().SequenceEqual(shadow), "the fused bf16 output differs from the rounding pass");
    }

    [Theory]
    [InlineData(1)] [InlineData(7)] [InlineData(33)] [InlineData(1000)] [InlineData(4099)]
    public void Gelu_writes_the_same_output_and_its_bf16_rounding_in_one_pass(int n)
    {
        var x = Randn(new Random(n), n, 3);
        float[] special = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, 1e4f, -60f];
        for (int i = 0; i < Math.Min(n, special.Length); i++) x[(i * 7919) % n] = special[i];
        float[] plain = new float[n], fused = new float[n];
        var shadow = new ushort[n];
        fixed (float* px = x, po = plain, pf = fused) fixed (ushort* sh = shadow)
        {
            Gelu.Forward(po, px, n);
            Gelu.Forward(pf, px, n, sh);
        }
        Assert.True(plain.AsSpan().SequenceEqual(fused), "the fp32 output changed when the rounding was fused");
        Assert.True(RoundingPass(plain).AsSpan().SequenceEqual(shadow), "the fused bf16 output differs from the rounding pass");
    }

    [Theory]
    [InlineData(1, 1, 4, 1)] [InlineData(2, 17, 12, 3)] [InlineData(1, 130, 8, 2)] [InlineData(1, 257, 6, 2)] [InlineData(2, 33, 128, 2)]
    public void Attention_writes_the_same_output_and_its_bf16_rounding_in_one_pass(int B, int T, int C, int NH)
    {
        var qkv = Randn(new Random(T * 7 + C), B * T * 3 * C, 1.5);
        float[] plain = new float[B * T * C], fused = new float[B * T * C], att = new float[B * NH * T * T];
        var shadow = new ushort[plain.Length];
        fixed (float* pq = qkv, po = plain, pf = fused, pa = att) fixed (ushort* sh = shadow)
        {
            Attention.Forward(po, pa, pq, B, T, C, NH);
            Attention.Forward(pf, pa, pq, B, T, C, NH, sh);
        }
        Assert.True(plain.AsSpan().SequenceEqual(fused), "the fp32 output changed when the rounding was fused");
        Assert.True(RoundingPass(plain).AsSpan().SequenceEqual(shadow), "the fused bf16 output differs from the rounding pass");
    }

    [Theory]
    [InlineData(1, 16, 1, true)] [InlineData(3, 16, 7, true)] [InlineData(5, 24, 33, true)] [InlineData(7, 40, 1000, true)]
    [InlineData(4, 16, 33, false)]
    public void Residual_add_fused_into_the_bias_pass_equals_a_copy_then_accumulate(int rows, int inChannels, int outChannels, bool bias)
    {
        var rng = new Random(rows * 7 + outChannels);
        float[] x = Randn(rng, rows * inChannels), w = Randn(rng, outChannels * inChannels, 0.2), bb = Randn(rng, outChannels);
        float[] residual = Randn(rng, rows * outChannels, 3);
        var unfused = (float[])residual.Clone();
        var fused = new float[residual.Length];
        fixed (float* px = x, pw = w, pb = bb, pr = residual, pu = unfused, pf = fused)
        {
            float* biasOrNull = bias ? pb : null;
            MatMul.Forward(pu, px, pw, biasOrNull, rows, inChannels, outChannels, accumulate: true);
            MatMul.Forward(pf, px, pw, biasOrNull, rows, inChannels, outChannels, residual: pr);
        }
        Assert.True(unfused.AsSpan().SequenceEqual(fused), "residual + bias + x·Wᵀ differs from copying the residual and accumulating");
    }
}
