using System.Text;
using System.Text.Json.Nodes;
using Eslm.Data;
using Eslm.Model;
using Eslm.Native;
using Eslm.Ops;
using Eslm.Selection;
using Eslm.Tensors;
using Eslm.Tests.Reference;
using Eslm.Tests.Training;
using Eslm.Training;
using Xunit;
using Xunit.Abstractions;

namespace Eslm.Tests.Model;

/// <summary>
/// The model with bf16 products (docs/precision.md): deterministic, gradients close to fp32's, and training reaches the
/// same validation loss. Skipped, with the reason, where libdnnl2 or AVX512-BF16 is missing.
/// </summary>
[Collection(SerialCollection.Name)]
public class GptBf16Tests(ITestOutputHelper output)
{
    private static readonly GptConfig Config = new() { Layers = 2, Heads = 4, Channels = 64, MaxSequenceLength = 32, VocabSize = 200, PaddedVocabSize = 256 };

    private static void SkipWithoutBf16()
    {
        Blas.Ensure();
        Skip.If(OneDnn.Bf16Unavailable is not null, OneDnn.Bf16Unavailable);
    }

    private static (List<StepResult> Steps, float[] Parameters) Train(string strategy, int steps = 4)
    {
        var cfg = TrainerHarness.Tiny;
        using var model = TrainerHarness.NewModel();
        var options = TrainerHarness.Options(steps: steps) with { Precision = Precision.Bf16 };
        var selection = strategy == "clm" ? new SelectionOptions() : new SelectionOptions { Strategy = strategy, Alpha = 0.5f };
        using var trainer = new Trainer(model, options, new RandomTokenSource(options.BatchSize, options.SequenceLength, cfg.VocabSize, 9),
            StrategyRegistry.Create(selection));
        var results = new List<StepResult>();
        for (int s = 0; s < steps; s++) results.Add(trainer.Step());
        Assert.Equal(Precision.Bf16, model.Precision);
        return (results, model.Parameters.All.ToArray());
    }

    [SkippableTheory]
    [InlineData("clm", Bf16KernelRequest.Gemm)]
    [InlineData("eslm", Bf16KernelRequest.Gemm)]
    [InlineData("clm", Bf16KernelRequest.Matmul)]
    [InlineData("eslm", Bf16KernelRequest.Matmul)]
    public void Bf16_training_is_bit_identical_run_to_run(string strategy, Bf16KernelRequest kernel)
    {
        SkipWithoutBf16();
        Bf16Gemm.RequestOverride = kernel; // matmul: the primitives auto picks on AMX, forced (packed weights, re-laid every step)
        using var restore = new Restore(() => Bf16Gemm.RequestOverride = null);
        var first = Train(strategy);
        var second = Train(strategy);
        Assert.Equal(first.Steps.Select(s => s.Loss), second.Steps.Select(s => s.Loss));
        Assert.True(first.Parameters.AsSpan().SequenceEqual(second.Parameters), "bf16 weights differ between identical runs");
    }

    /// <summary>
    /// Whole-model gradients with bf16 products against the same model in fp32, per tensor: ‖g_bf16 − g_fp32‖ / ‖g_fp32‖.
    /// bf16 keeps 8 significant bits (relative rounding 2⁻⁹ ≈ 0.2% per operand); errors of that order per product
    /// compound over the layers, so the documented tolerance is 3% per tensor and 0.5% on the loss (measured: see the
    /// test output; typically well under half of that).
    /// </summary>
    [SkippableTheory]
    [InlineData(false, false, Bf16KernelRequest.Gemm)]
    [InlineData(true, false, Bf16KernelRequest.Gemm)]
    [InlineData(true, true, Bf16KernelRequest.Gemm)]
    [InlineData(false, false, Bf16KernelRequest.Matmul)]
    [InlineData(true, true, Bf16KernelRequest.Matmul)]
    public void Bf16_gradients_match_fp32_within_the_documented_tolerance(bool dropSomeTokens, bool smallHeadChunks, Bf16KernelRequest kernel)
    {
        SkipWithoutBf16();
        Bf16Gemm.RequestOverride = kernel;
        using var restoreKernel = new Restore(() => Bf16Gemm.RequestOverride = null);
        // smallHeadChunks: the kept rows' logit gradients go through several compact bf16 chunks (64 rows each here).
        Bf16Gemm.MaxChunkRowElements = smallHeadChunks ? 40L * Config.Vp : Bf16Gemm.DefaultMaxChunkRowElements;
        using var restore = new Restore(() => Bf16Gemm.MaxChunkRowElements = Bf16Gemm.DefaultMaxChunkRowElements);
        const int B = 4, T = 32;
        var c = ModelCase.Random(Config, B, T, 21);
        var w = new float[B * T];
        for (int i = 0; i < w.Length; i++) w[i] = dropSomeTokens && i % 3 == 1 ? 0f : 1f / (B * T);

        (float Loss, float[] Gradients) Run(Precision precision)
        {
            using var gpt = ModelTestSupport.Create(Config, c.Parameters);
            gpt.Precision = precision;
            gpt.BackwardMode = BackwardMode.KeptRows;
            float loss = gpt.Forward(c.Inputs, c.Targets, B, T);
            gpt.ZeroGradients();
            gpt.Backward(w);
            return (loss, gpt.Gradients.All.ToArray());
        }

        var fp32 = Run(Precision.Fp32);
        var bf16 = Run(Precision.Bf16);
        // The double-precision reference model (kept-rows: dropped tokens' keys and values are constants).
        var reference = new RefGpt(Config, Numerics.ToDouble(c.Parameters)).Gradient(c.Inputs, c.Targets, B, T, Numerics.ToDouble(w),
            detachDroppedKeysValues: dropSomeTokens);
        Assert.True(Math.Abs(bf16.Loss - fp32.Loss) <= 5e-3 * Math.Abs(fp32.Loss), $"loss {bf16.Loss} vs fp32 {fp32.Loss}");
        foreach (var (name, offset, count) in ModelTestSupport.Tensors(Config))
        {
            double Relative(float[] g)
            {
                double diff = 0, norm = 0;
                for (int i = offset; i < offset + count; i++)
                {
                    double d = g[i] - reference[i];
                    diff += d * d; norm += reference[i] * reference[i];
                }
                return norm == 0 ? Math.Sqrt(diff) : Math.Sqrt(diff / norm);
            }
            double relative = Relative(bf16.Gradients), fp32Relative = Relative(fp32.Gradients);
            output.WriteLine($"{name,-16} bf16 vs double {relative:E2}   (fp32 vs double {fp32Relative:E2})");
            ErrorLog.Record($"bf16 ({kernel.Name()}) vs double gradient {name}", relative);
            Assert.True(fp32Relative <= 1e-4, $"{name}: the fp32 gradient itself differs from the double reference by {fp32Relative:E2}");
            Assert.True(relative <= 0.03, $"{name}: bf16 gradient differs from the double reference by {relative:P2} (tolerance 3%)");
        }
    }

    /// <summary>
    /// 300 steps of a tiny byte-level model (V = 256: the built-in corpus's UTF-8 bytes are the tokens, so the test needs
    /// no tokenizer and a small head) in fp32 and in bf16 from the same seeds: mean final validation loss over three
    /// initialisations within 1%. One run alone is too sensitive to any perturbation: with seed 7 alone (the test's only
    /// seed until issue 24), bf16 was 0.32% above fp32 with attention in fp32, and 0.5–1.8% above with one, four or all
    /// six of attention's products in bf16; seeds 8–10 stayed within 0.1% either way.
    /// </summary>
    [SkippableFact]
    public void Tiny_model_trained_300_steps_in_bf16_reaches_fp32s_validation_loss_within_one_percent()
    {
        SkipWithoutBf16();
        var text = string.Concat(Recipes.BuiltinDocuments("clean").Select(d => d.Text + "\n\n"));
        int[] bytes = [.. Encoding.UTF8.GetBytes(text).Select(b => (int)b)];
        int split = bytes.Length * 9 / 10;
        var cfg = new GptConfig { Layers = 2, Heads = 4, Channels = 64, MaxSequenceLength = 64, VocabSize = 256, PaddedVocabSize = 256 };
        const int B = 8, T = 64, Steps = 300;

        double Run(Precision precision, ulong seed)
        {
            using var model = new Gpt(cfg);
            WeightInit.Initialize(model, seed);
            var options = new TrainOptions { BatchSize = B, SequenceLength = T, Steps = Steps, WarmupSteps = 20, LearningRate = 3e-3f, Precision = precision };
            using var trainer = new Trainer(model, options, new WindowSource(bytes[..split], B, T, 3));
            for (int s = 0; s < Steps; s++) trainer.Step();
            var val = new WindowSource(bytes[split..], B, T, 99);
            var inputs = new int[B * T]; var targets = new int[B * T];
            double sum = 0;
            for (int v = 0; v < 8; v++)
            {
                val.NextBatch(inputs, targets);
                sum += model.Forward(inputs, targets, B, T);
            }
            return sum / 8;
        }

        ulong[] seeds = [7, 8, 9];
        double fp32 = 0, bf16 = 0;
        foreach (ulong seed in seeds)
        {
            double f = Run(Precision.Fp32, seed), b = Run(Precision.Bf16, seed);
            output.WriteLine($"seed {seed}: validation loss after {Steps} steps: fp32 {f:F4}, bf16 {b:F4} ({(b - f) / f:P2})");
            fp32 += f / seeds.Length; bf16 += b / seeds.Length;
        }
        output.WriteLine($"mean over seeds: fp32 {fp32:F4}, bf16 {bf16:F4} ({(bf16 - fp32) / fp32:P2})");
        Assert.True(fp32 < 3.0, $"fp32 did not learn (val loss {fp32:F3})");
        Assert.True(Math.Abs(bf16 - fp32) <= 0.01 * fp32, $"bf16 val loss {bf16:F4} vs fp32 {fp32:F4}: more than 1% apart");
    }

    /// <summary>Seeded random windows of a token array (inputs and the next tokens as targets).</summary>
    private sealed class WindowSource(int[] tokens, int batchSize, int sequenceLength, ulong seed) : IBatchSource
    {
        private readonly Rng _rng = new(seed);
        public int BatchSize => batchSize;
        public int SequenceLength => sequenceLength;

        public void NextBatch(Span<int> inputs, Span<int> targets)
        {
            for (int b = 0; b < batchSize; b++)
            {
                int start = (int)(_rng.NextUInt64() % (ulong)(tokens.Length - sequenceLength - 1));
                tokens.AsSpan(start, sequenceLength).CopyTo(inputs.Slice(b * sequenceLength));
                tokens.AsSpan(start + 1, sequenceLength).CopyTo(targets.Slice(b * sequenceLength));
            }
        }

        public JsonObject SaveState() => new();
        public void RestoreState(JsonObject state) { }
    }

    private sealed class Restore(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }
}
