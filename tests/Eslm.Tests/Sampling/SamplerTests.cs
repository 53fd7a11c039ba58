using Eslm.Checkpoints;
using Eslm.Model;
using Eslm.Sampling;
using Eslm.Tensors;
using Eslm.Tests.Checkpoints;
using Xunit;

namespace Eslm.Tests.Sampling;

/// <summary>Serial: the bf16 fact sets the process-wide bf16 kernel override.</summary>
[Collection(Eslm.Tests.Model.SerialCollection.Name)]
public class SamplerTests
{
    private static readonly GptConfig Config = new() { Layers = 2, Heads = 4, Channels = 32, MaxSequenceLength = 24, VocabSize = 61 };

    [Fact]
    public void Cached_logits_equal_the_full_forward_log_probabilities_at_every_position()
    {
        using var model = TestFiles.RandomModel(Config, seed: 11);
        int T = 20, V = Config.VocabSize, Vp = Config.Vp;
        var rng = new Rng(5);
        int[] tokens = Enumerable.Range(0, T).Select(_ => rng.NextInt(V)).ToArray();
        model.Forward(tokens, tokens, 1, T);
        var e = model.Activations.Span("logits").ToArray(); var s = model.Activations.Span("row_sum").ToArray();

        using var sampler = new Sampler(model);
        var logits = new float[T * V];
        // A 7-token prompt, then single tokens, then a chunk of 3, then singles: every path of the cache.
        int pos = 0;
        foreach (int n in new[] { 7, 1, 1, 3, 1, 1, 1, 1, 1, 1, 1, 1 })
        {
            sampler.Feed(tokens.AsSpan(pos, n), logits.AsSpan(pos * V, n * V));
            pos += n;
        }
        Assert.Equal(T, pos);
        for (int t = 0; t < T; t++)
        {
            var row = logits.AsSpan(t * V, V);
            float max = float.NegativeInfinity; foreach (float x in row) max = MathF.Max(max, x);
            double sum = 0; foreach (float x in row) sum += Math.Exp(x - max);
            for (int v = 0; v < V; v++)
            {
                float cached = row[v] - max - (float)Math.Log(sum);
                float full = MathF.Log(e[t * Vp + v]) - MathF.Log(s[t]);
                Assert.True(MathF.Abs(cached - full) < 1e-4f, $"t={t} v={v}: {cached} vs {full}");
            }
        }
    }

    /// <summary>`eslm sample --precision bf16`: the cached decoder runs its linear layers and head on the model's bf16 backend.</summary>
    [SkippableTheory]
    [InlineData(Eslm.Native.Bf16KernelRequest.Auto)]
    [InlineData(Eslm.Native.Bf16KernelRequest.Matmul)] // single-row products on primitives (auto's choice on AMX)
    public void A_bf16_model_samples_with_bf16_products_close_to_fp32(Eslm.Native.Bf16KernelRequest kernel)
    {
        Skip.If(Eslm.Native.OneDnn.Bf16Unavailable is not null, Eslm.Native.OneDnn.Bf16Unavailable);
        Eslm.Ops.Bf16Gemm.RequestOverride = kernel;
        int T = 12, V = Config.VocabSize;
        var rng = new Rng(3);
        int[] tokens = Enumerable.Range(0, T).Select(_ => rng.NextInt(V)).ToArray();
        float[] Logits(Precision precision)
        {
            using var model = TestFiles.RandomModel(Config, seed: 11);
            model.Precision = precision;
            using var sampler = new Sampler(model);
            var logits = new float[T * V];
            sampler.Feed(tokens.AsSpan(0, 5), logits.AsSpan(0, 5 * V));
            for (int t = 5; t < T; t++) sampler.Feed(tokens.AsSpan(t, 1), logits.AsSpan(t * V, V));
            return logits;
        }
        var fp32 = Logits(Precision.Fp32);
        float[] bf16;
        try { bf16 = Logits(Precision.Bf16); }
        finally { Eslm.Ops.Bf16Gemm.RequestOverride = null; }
        double maxDiff = fp32.Zip(bf16, (a, b) => (double)Math.Abs(a - b)).Max();
        double scale = fp32.Max(x => (double)Math.Abs(x));
        Assert.True(maxDiff > 0, "bf16 sampling gave fp32's exact logits: the bf16 backend was not used");
        Assert.True(maxDiff <= 0.02 * scale, $"bf16 logits differ from fp32 by up to {maxDiff} (scale {scale})");
    }

    [Fact]
    public void Greedy_generation_picks_the_argmax_of_the_full_forward_each_step()
    {
        using var model = TestFiles.RandomModel(Config, seed: 12);
        using var sampler = new Sampler(model);
        var generated = sampler.Generate([1, 2, 3], 6, new SamplingOptions(Temperature: 0), new Rng(1));
        var seq = new List<int> { 1, 2, 3 };
        foreach (int next in generated)
        {
            int T = seq.Count;
            model.Forward(seq.ToArray(), seq.ToArray(), 1, T);
            var e = model.Activations.Span("logits").Slice((T - 1) * Config.Vp, Config.VocabSize);
            int best = 0; for (int v = 1; v < e.Length; v++) if (e[v] > e[best]) best = v;
            Assert.Equal(best, next);
            seq.Add(next);
        }
    }

    [Fact]
    public void Same_seed_gives_the_same_tokens_and_generation_continues_past_the_context()
    {
        using var model = TestFiles.RandomModel(Config, seed: 13);
        using var sampler = new Sampler(model);
        var options = new SamplingOptions(Temperature: 0.9f, TopK: 10);
        var a = sampler.Generate([4, 5], 40, options, new Rng(99));
        var b = sampler.Generate([4, 5], 40, options, new Rng(99));
        var c = sampler.Generate([4, 5], 40, options, new Rng(100));
        Assert.Equal(40, a.Count);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Top_k_never_draws_outside_the_k_largest_logits()
    {
        float[] logits = [0.1f, 5f, -3f, 4.9f, 2f, 4.8f];
        var rng = new Rng(3);
        var seen = new HashSet<int>();
        for (int i = 0; i < 2000; i++) seen.Add(Sampler.SampleToken(logits, new SamplingOptions(1f, 3), rng));
        Assert.Equal(new HashSet<int> { 1, 3, 5 }, seen);
        Assert.Equal(1, Sampler.SampleToken(logits, new SamplingOptions(0f), rng));
    }

    [Fact]
    public void Top_k_keeps_every_logit_tied_with_the_kth_largest_as_nanogpt_does()
    {
        float[] logits = [1f, 3f, 2f, 2f, 0f, 2f];
        var rng = new Rng(5);
        var seen = new HashSet<int>();
        for (int i = 0; i < 4000; i++) seen.Add(Sampler.SampleToken(logits, new SamplingOptions(1f, 2), rng));
        Assert.Equal(new HashSet<int> { 1, 2, 3, 5 }, seen);
    }

    [Fact]
    public void Feeding_past_the_context_or_outside_the_vocabulary_is_an_argument_error()
    {
        using var model = TestFiles.RandomModel(Config, seed: 14);
        using var sampler = new Sampler(model);
        Assert.Throws<ArgumentException>(() => sampler.Feed(new int[25]));
        Assert.Contains("outside the vocabulary", Assert.Throws<ArgumentException>(() => sampler.Feed([61])).Message);
    }
}
