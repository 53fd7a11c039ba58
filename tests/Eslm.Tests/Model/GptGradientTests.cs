using Eslm.Model;
using Eslm.Tests.Reference;
using Xunit;
using static Eslm.Tests.Reference.Numerics;

namespace Eslm.Tests.Model;

/// <summary>
/// Whole-model gradients against the double-precision reference GPT-2 (<see cref="RefGpt"/>): by finite differences at
/// sampled coordinates, and tensor by tensor against its chain-rule backward, dense and with zero-weight tokens (the
/// skip paths: compact LM-head rows and per-sequence active lengths).
/// </summary>
public class GptGradientTests
{
    public GptGradientTests() => Blas.Ensure();

    private static readonly GptConfig Tiny = ModelTestSupport.Tiny;

    /// <summary>Longer than one attention block (128) so the blocked attention and its active-length cut are both exercised.</summary>
    private static readonly GptConfig Long = new() { Layers = 1, Heads = 2, Channels = 8, MaxSequenceLength = 140, VocabSize = 13, PaddedVocabSize = 16 };

    private static void AssertGradientsMatchReference(ModelCase c, float[] dLosses, double tolerance, string label)
    {
        var actual = c.Gradient(dLosses);
        var reference = new RefGpt(c.Config, ToDouble(c.Parameters));
        var expected = reference.Gradient(c.Inputs, c.Targets, c.B, c.T, ToDouble(dLosses));
        ModelTestSupport.AssertTensorsClose(c.Config, expected, actual, tolerance, label);
    }

    private static float[] Uniform(int n) => Enumerable.Repeat(1f / n, n).ToArray();

    [Fact]
    public void Reference_gradient_matches_finite_differences()
    {
        var c = ModelCase.Random(Tiny, 2, 7, 1);
        var p = ToDouble(c.Parameters);
        var reference = new RefGpt(c.Config, p);
        var w = ToDouble(Randn(new Random(2), 14));
        var analytic = reference.Gradient(c.Inputs, c.Targets, 2, 7, w);
        double F() => reference.Objective(c.Inputs, c.Targets, 2, 7, w);
        ModelTestSupport.AssertMatchesFiniteDifferences(c.Config, analytic, F, p, seed: 3);
    }

    [Fact]
    public void Gradients_match_finite_differences_of_the_double_reference()
    {
        var c = ModelCase.Random(Tiny, 2, 7, 4);
        var dLosses = Randn(new Random(5), 14, 0.1);
        var actual = c.Gradient(dLosses);
        var p = ToDouble(c.Parameters);
        var reference = new RefGpt(c.Config, p);
        var w = ToDouble(dLosses);
        double F() => reference.Objective(c.Inputs, c.Targets, 2, 7, w);
        var rng = new Random(6);
        double worst = 0;
        foreach (var (name, offset, count) in ModelTestSupport.Tensors(c.Config))
        {
            // Normalise by the tensor's largest gradient (from Eslm itself, which the reference comparison pins down).
            double scale = 0;
            for (int i = 0; i < count; i++) scale = Math.Max(scale, Math.Abs(actual[offset + i]));
            for (int k = 0; k < 4; k++)
            {
                int i = offset + rng.Next(count);
                double fd = FiniteDifference.Partial(F, p, i);
                double e = Math.Abs(fd - actual[i]) / Math.Max(scale, 1e-30);
                worst = Math.Max(worst, e);
                Assert.True(e <= 1e-4, $"{name}[{i - offset}]: eslm {actual[i]:G9}, FD {fd:G9} (relative {e:E2})");
            }
        }
        ErrorLog.Record("model.fd", worst);
    }

    [Fact]
    public void Padded_vocabulary_rows_get_no_gradient()
    {
        var c = ModelCase.Random(Tiny, 2, 7, 7);
        var g = c.Gradient(Uniform(14));
        int C = Tiny.C;
        for (int i = Tiny.VocabSize * C; i < Tiny.Vp * C; i++) Assert.Equal(0f, g[i]);
    }

    [Fact]
    public void Forward_losses_match_the_double_reference()
    {
        var c = ModelCase.Random(Long, 2, 130, 8);
        using var gpt = ModelTestSupport.Create(c.Config, c.Parameters);
        gpt.Forward(c.Inputs, c.Targets, 2, 130);
        var expected = new RefGpt(c.Config, ToDouble(c.Parameters)).Forward(c.Inputs, c.Targets, 2, 130, out _, out var entropy);
        AssertClose(expected, gpt.Losses, 1e-5, "model.losses");
        AssertClose(entropy, gpt.Entropies, 1e-5, "model.entropies");
    }

    [Fact]
    public void Gradients_match_the_double_reference()
    {
        var c = ModelCase.Random(Tiny, 3, 7, 9);
        AssertGradientsMatchReference(c, Uniform(21), 1e-4, "model.dense");
    }

    [Fact]
    public void Gradients_match_the_double_reference_beyond_one_attention_block()
    {
        var c = ModelCase.Random(Long, 2, 130, 10);
        AssertGradientsMatchReference(c, Uniform(260), 1e-4, "model.dense.long");
    }

    [Fact]
    public void Gradients_with_zero_weight_tokens_match_the_double_reference()
    {
        // Sequence 0: zeros at the start, in the middle and at the end; sequence 1: all zero; sequence 2: only its last token.
        var c = ModelCase.Random(Tiny, 3, 7, 11);
        float[] w = [0, 0.3f, 0, 0, 0.2f, 0, 0, /**/ 0, 0, 0, 0, 0, 0, 0, /**/ 0, 0, 0, 0, 0, 0, 0.5f];
        AssertGradientsMatchReference(c, w, 1e-4, "model.skip");
    }

    [Fact]
    public void Gradients_with_zero_weight_suffixes_beyond_one_attention_block_match_the_double_reference()
    {
        var c = ModelCase.Random(Long, 2, 130, 12);
        var w = new float[260];
        for (int t = 0; t < 129; t++) if (t % 3 != 1) w[t] = 0.01f;          // active length 129 (> 128), holes inside
        for (int t = 0; t < 60; t++) w[130 + t] = t == 17 ? 0 : 0.01f;      // active length 60
        AssertGradientsMatchReference(c, w, 1e-4, "model.skip.long");
    }

    [Fact]
    public void Skip_paths_give_the_dense_gradients_including_chunked_head_rows()
    {
        // More kept rows than Gpt.HeadChunkRows, so the compact LM-head backward runs in several chunks. Backward is linear
        // in the token weights: G(w) = G(w + ε) − G(ε) with ε > 0 everywhere, and both right-hand runs take the dense path.
        var cfg = new GptConfig { Layers = 1, Heads = 2, Channels = 8, MaxSequenceLength = 700, VocabSize = 11, PaddedVocabSize = 16 };
        int B = 2, T = 700, BT = B * T;
        var c = ModelCase.Random(cfg, B, T, 13);
        var w = new float[BT];
        var rng = new Random(14);
        for (int i = 0; i < BT; i++) w[i] = rng.NextDouble() < 0.85 ? (float)(0.5 + rng.NextDouble()) / BT : 0f;
        for (int t = 650; t < T; t++) w[t] = 0;            // a zero suffix in sequence 0
        w[BT - 1] = 0; w[BT - 2] = 0;                      // and in sequence 1
        Assert.True(w.Count(x => x != 0) > Gpt.HeadChunkRows);
        const float eps = 1e-3f / 1400;
        var skip = c.Gradient(w);
        var densePlus = c.Gradient(w.Select(x => x + eps).ToArray());
        var denseEps = c.Gradient(Enumerable.Repeat(eps, BT).ToArray());
        var dense = new double[skip.Length];
        for (int i = 0; i < dense.Length; i++) dense[i] = (double)densePlus[i] - denseEps[i];
        foreach (var (name, offset, count) in ModelTestSupport.Tensors(cfg))
            AssertClose(dense.AsSpan(offset, count), skip.AsSpan(offset, count), 1e-4, $"model.skip.chunked.{name}");
    }

    [Fact]
    public void Backward_with_all_zero_weights_leaves_gradients_untouched()
    {
        var c = ModelCase.Random(Tiny, 2, 7, 15);
        using var gpt = ModelTestSupport.Create(c.Config, c.Parameters);
        gpt.Forward(c.Inputs, c.Targets, 2, 7);
        var before = Randn(new Random(16), (int)gpt.Gradients.Count);
        before.CopyTo(gpt.Gradients.All);
        gpt.Backward(new float[14]);
        Assert.Equal(before, gpt.Gradients.All.ToArray());
    }

    [Fact]
    public void Backward_accumulates_into_existing_gradients()
    {
        var c = ModelCase.Random(Tiny, 2, 7, 17);
        var dLosses = Uniform(14);
        var fresh = c.Gradient(dLosses);
        using var gpt = ModelTestSupport.Create(c.Config, c.Parameters);
        var before = Randn(new Random(18), (int)gpt.Gradients.Count);
        before.CopyTo(gpt.Gradients.All);
        gpt.Forward(c.Inputs, c.Targets, 2, 7);
        gpt.Backward(dLosses);
        var added = Difference(gpt.Gradients.All, before);
        foreach (var (name, offset, count) in ModelTestSupport.Tensors(c.Config))
            AssertClose(ToDouble(fresh.AsSpan(offset, count)), added.AsSpan(offset, count), 1e-4, $"model.accumulate.{name}");
    }
}
