using Xunit;
using static Eslm.Tests.Reference.Numerics;

namespace Eslm.Tests.Reference;

/// <summary>The reference backwards are themselves checked against central finite differences of the reference forwards.</summary>
public class RefOpsTests
{
    private const double Tolerance = 1e-7;

    private static double[] RandnD(Random rng, int n, double std = 1.0, double mean = 0.0) => ToDouble(Randn(rng, n, std, mean));

    [Fact]
    public void Encoder_backward_matches_finite_differences()
    {
        var rng = new Random(1);
        int B = 2, T = 3, C = 4, V = 5;
        int[] tokens = [1, 1, 4, 0, 1, 3];
        double[] wte = RandnD(rng, V * C), wpe = RandnD(rng, T * C), dout = RandnD(rng, B * T * C);
        double F() => FiniteDifference.Dot(dout, RefOps.EncoderForward(tokens, wte, wpe, B, T, C));
        var dwte = new double[V * C]; var dwpe = new double[T * C];
        RefOps.EncoderBackward(dwte, dwpe, dout, tokens, B, T, C);
        AssertClose(FiniteDifference.Gradient(F, wte), dwte, Tolerance, "ref.encoder.dwte");
        AssertClose(FiniteDifference.Gradient(F, wpe), dwpe, Tolerance, "ref.encoder.dwpe");
    }

    [Fact]
    public void LayerNorm_backward_matches_finite_differences()
    {
        var rng = new Random(2);
        int N = 3, C = 7;
        double[] x = RandnD(rng, N * C, 2, 0.5), w = RandnD(rng, C, 0.3, 1), b = RandnD(rng, C), dout = RandnD(rng, N * C);
        double F() => FiniteDifference.Dot(dout, RefOps.LayerNormForward(x, w, b, N, C));
        double[] dx = new double[N * C], dw = new double[C], db = new double[C];
        RefOps.LayerNormBackward(dx, dw, db, dout, x, w, N, C);
        AssertClose(FiniteDifference.Gradient(F, x), dx, Tolerance, "ref.layernorm.dx");
        AssertClose(FiniteDifference.Gradient(F, w), dw, Tolerance, "ref.layernorm.dw");
        AssertClose(FiniteDifference.Gradient(F, b), db, Tolerance, "ref.layernorm.db");
    }

    [Fact]
    public void Linear_backward_matches_finite_differences()
    {
        var rng = new Random(3);
        int N = 3, C = 4, OC = 5;
        double[] x = RandnD(rng, N * C), W = RandnD(rng, OC * C), b = RandnD(rng, OC), dy = RandnD(rng, N * OC);
        double F() => FiniteDifference.Dot(dy, RefOps.LinearForward(x, W, b, N, C, OC));
        double[] dx = new double[N * C], dW = new double[OC * C], db = new double[OC];
        RefOps.LinearBackward(dx, dW, db, dy, x, W, N, C, OC);
        AssertClose(FiniteDifference.Gradient(F, x), dx, Tolerance, "ref.linear.dx");
        AssertClose(FiniteDifference.Gradient(F, W), dW, Tolerance, "ref.linear.dW");
        AssertClose(FiniteDifference.Gradient(F, b), db, Tolerance, "ref.linear.db");
    }

    [Fact]
    public void Attention_backward_matches_finite_differences()
    {
        var rng = new Random(4);
        int B = 2, T = 4, C = 6, NH = 3;
        double[] qkv = RandnD(rng, B * T * 3 * C), dy = RandnD(rng, B * T * C);
        double F() => FiniteDifference.Dot(dy, RefOps.AttentionForward(qkv, B, T, C, NH, out _));
        var dqkv = new double[qkv.Length];
        RefOps.AttentionBackward(dqkv, dy, qkv, B, T, C, NH);
        AssertClose(FiniteDifference.Gradient(F, qkv), dqkv, Tolerance, "ref.attention.dqkv");
    }

    [Fact]
    public void Attention_forward_is_causal()
    {
        var rng = new Random(5);
        int B = 1, T = 5, C = 4, NH = 2;
        double[] qkv = RandnD(rng, B * T * 3 * C);
        var before = RefOps.AttentionForward(qkv, B, T, C, NH, out _);
        for (int c = 0; c < 3 * C; c++) qkv[(T - 1) * 3 * C + c] += 1.0;   // change only the last position
        var after = RefOps.AttentionForward(qkv, B, T, C, NH, out _);
        for (int i = 0; i < (T - 1) * C; i++) Assert.Equal(before[i], after[i]);
    }

    [Fact]
    public void Gelu_backward_matches_finite_differences()
    {
        var rng = new Random(6);
        double[] x = RandnD(rng, 20, 3), dy = RandnD(rng, 20);
        double F() => FiniteDifference.Dot(dy, RefOps.GeluForward(x));
        var dx = new double[x.Length];
        RefOps.GeluBackward(dx, x, dy);
        AssertClose(FiniteDifference.Gradient(F, x), dx, Tolerance, "ref.gelu.dx");
    }

    [Fact]
    public void CrossEntropy_backward_matches_finite_differences()
    {
        var rng = new Random(7);
        int N = 3, V = 5, Vp = 8;
        double[] logits = RandnD(rng, N * Vp, 2), w = RandnD(rng, N);
        int[] targets = [0, 4, 2];
        double F() => FiniteDifference.Dot(w, RefOps.CrossEntropyForward(logits, targets, N, V, Vp));
        var d = new double[N * Vp];
        RefOps.CrossEntropyBackward(d, logits, targets, w, N, V, Vp);
        AssertClose(FiniteDifference.Gradient(F, logits), d, Tolerance, "ref.crossentropy.dlogits");
    }

    [Fact]
    public void CrossEntropy_entropy_of_uniform_logits_is_log_V()
    {
        int V = 7, Vp = 16;
        var logits = new double[Vp];
        for (int v = V; v < Vp; v++) logits[v] = 100;     // padded columns must not count
        var loss = RefOps.CrossEntropyForward(logits, [3], 1, V, Vp, out var entropy, out _);
        Assert.Equal(Math.Log(V), loss[0], 1e-12);
        Assert.Equal(Math.Log(V), entropy[0], 1e-12);
    }
}
