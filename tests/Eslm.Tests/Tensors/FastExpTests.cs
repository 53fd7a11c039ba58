using System.Runtime.Intrinsics;
using Eslm.Ops;
using Eslm.Tensors;
using Xunit;

namespace Eslm.Tests.Tensors;

/// <summary><see cref="FastExp"/> against double exp, and the cross-entropy forward with it against the accurate one.</summary>
public unsafe class FastExpTests
{
    [Fact]
    public void Relative_error_is_within_three_ulp_on_the_cross_entropy_range()
    {
        // exp(x − max) of the cross-entropy: x in [−87, 0]; 2⁻²³ ≈ 1.19·10⁻⁷ is one ulp at the top of a binade.
        double worst = 0;
        var input = new float[16];
        for (int i = 0; i <= 2_000_000; i += 16)
        {
            for (int l = 0; l < 16; l++) input[l] = -87f * (i + l) / 2_000_000f;
            var e = FastExp.Exp(Vector512.Create(input));
            for (int l = 0; l < 16; l++)
            {
                double exact = Math.Exp(input[l]);
                worst = Math.Max(worst, Math.Abs(e[l] - exact) / exact);
            }
        }
        Assert.True(worst <= 3 * Math.Pow(2, -23), $"worst relative error {worst:E3}");
    }

    [Fact]
    public void Nan_stays_nan_and_the_ends_are_clamped_to_normal_results()
    {
        var e = FastExp.Exp(Vector512.Create(float.NaN, float.NegativeInfinity, -1000f, 0f, 1f, 88f, 1000f, float.PositiveInfinity,
            -87.3f, 10f, -10f, 2f, -2f, 0.5f, -0.5f, 50f));
        Assert.True(float.IsNaN(e[0]));
        Assert.Equal(MathF.Exp(-87.3f), e[1], 1e-44f);
        Assert.Equal(e[1], e[2]);
        Assert.Equal(1f, e[3]);
        Assert.Equal(MathF.E, e[4], 1e-6f);
        Assert.True(float.IsFinite(e[5]) && float.IsFinite(e[6]) && float.IsFinite(e[7]), "upper clamp keeps results finite");
        Assert.Equal(e[5], e[7]);
    }

    [Fact]
    public void Cross_entropy_with_fast_exp_matches_the_accurate_forward()
    {
        const int N = 7, V = 1000, Vp = 1024;
        var rng = new Random(5);
        float[] logits = new float[N * Vp];
        for (int i = 0; i < logits.Length; i++) logits[i] = (float)(rng.NextDouble() * 20 - 10);
        var fast = (float[])logits.Clone();
        int[] targets = [.. Enumerable.Range(0, N).Select(_ => rng.Next(V))];
        float[] l1 = new float[N], l2 = new float[N], h1 = new float[N], h2 = new float[N], s1 = new float[N], s2 = new float[N];
        fixed (float* pl = logits, pf = fast, pl1 = l1, pl2 = l2, ph1 = h1, ph2 = h2, ps1 = s1, ps2 = s2)
        fixed (int* pt = targets)
        {
            CrossEntropy.Forward(pl1, ph1, ps1, pl, pt, N, V, Vp);
            CrossEntropy.Forward(pl2, ph2, ps2, pf, pt, N, V, Vp, fastExp: true);
        }
        for (int r = 0; r < N; r++)
        {
            Assert.Equal(l1[r], l2[r], 1e-5f);
            Assert.Equal(h1[r], h2[r], 1e-5f);
            Assert.Equal(s1[r], s2[r], 1e-6f * s1[r]);
        }
        for (int i = 0; i < logits.Length; i++) Assert.Equal(logits[i], fast[i], 1e-6f * Math.Max(1f, logits[i]));
    }
}
