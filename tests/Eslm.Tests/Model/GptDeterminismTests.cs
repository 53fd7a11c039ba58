using Eslm.Model;
using Eslm.Native;
using Eslm.Tensors;
using Eslm.Tests.Reference;
using Xunit;

namespace Eslm.Tests.Model;

/// <summary>Tests that change the process-wide thread counts run alone, after everything else.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public class SerialCollection
{
    public const string Name = "Serial (changes global thread counts)";
}

/// <summary>Same inputs ⇒ bit-identical losses and gradients, run to run and for any thread count.</summary>
[Collection(SerialCollection.Name)]
public class GptDeterminismTests
{
    /// <summary>Big enough that every kernel actually splits its work over 2 threads (rows, channels, heads, GEMMs).</summary>
    private static readonly GptConfig Config = new() { Layers = 2, Heads = 4, Channels = 64, MaxSequenceLength = 160, VocabSize = 200, PaddedVocabSize = 256 };
    private const int B = 3, T = 150;

    public GptDeterminismTests() => Blas.Ensure();

    private static (float[] Losses, float[] Entropies, float[] Gradients) Run(bool sparseWeights)
    {
        var rng = new Random(5);
        var inputs = Numerics.Tokens(rng, B * T, Config.VocabSize);
        var targets = Numerics.Tokens(rng, B * T, Config.VocabSize);
        var w = new float[B * T];
        for (int i = 0; i < w.Length; i++) w[i] = sparseWeights && (i % 7 == 3 || i >= 2 * T + 100) ? 0f : 1f / (B * T);
        using var gpt = ModelTestSupport.Create(Config, ModelTestSupport.RandomParameters(Config, 6));
        gpt.Forward(inputs, targets, B, T);
        var losses = gpt.Losses.ToArray(); var entropies = gpt.Entropies.ToArray();
        gpt.ZeroGradients();
        gpt.Backward(w);
        return (losses, entropies, gpt.Gradients.All.ToArray());
    }

    private static (float[], float[], float[]) RunWithThreads(int threads, int blasThreads, bool sparseWeights)
    {
        int saved = Parallelism.Threads, savedBlas = OpenBlas.Threads;
        try
        {
            Parallelism.Threads = threads;
            OpenBlas.Initialize(blasThreads);
            return Run(sparseWeights);
        }
        finally
        {
            Parallelism.Threads = saved;
            OpenBlas.Initialize(savedBlas);
        }
    }

    private static int Mismatches(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        int n = 0;
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i])) n++;
        return n;
    }

    private static void AssertBitIdentical(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        Assert.True(Mismatches(expected, actual) == 0, $"{what}: {Mismatches(expected, actual)} of {expected.Length} values differ");
    }

    /// <summary>Gradients compared tensor by tensor, so a failure names the tensors that differ.</summary>
    private static void AssertGradientsBitIdentical(float[] expected, float[] actual)
    {
        var bad = new List<string>();
        foreach (var (name, offset, count) in ModelTestSupport.Tensors(Config))
        {
            int n = Mismatches(expected.AsSpan(offset, count), actual.AsSpan(offset, count));
            if (n > 0) bad.Add($"{name} ({n} of {count})");
        }
        Assert.True(bad.Count == 0, $"gradients differ in {string.Join(", ", bad)}");
    }

    [Theory]
    [InlineData(false)] [InlineData(true)]
    public void Same_inputs_give_bit_identical_losses_and_gradients_run_to_run(bool sparseWeights)
    {
        var a = RunWithThreads(2, 2, sparseWeights);
        var b = RunWithThreads(2, 2, sparseWeights);
        AssertBitIdentical(a.Item1, b.Item1, "losses");
        AssertBitIdentical(a.Item2, b.Item2, "entropies");
        AssertGradientsBitIdentical(a.Item3, b.Item3);
    }

    /// <summary>Eslm's own kernels (fixed slices and reduction chunks) give the same bits on 1 and 2 threads.</summary>
    [Theory]
    [InlineData(false)] [InlineData(true)]
    public void Losses_and_gradients_do_not_depend_on_eslms_own_thread_count(bool sparseWeights)
    {
        var one = RunWithThreads(1, 1, sparseWeights);
        var two = RunWithThreads(2, 1, sparseWeights);
        AssertBitIdentical(one.Item1, two.Item1, "losses");
        AssertBitIdentical(one.Item2, two.Item2, "entropies");
        AssertGradientsBitIdentical(one.Item3, two.Item3);
    }

    /// <summary>
    /// Eslm and OpenBLAS both on 1 vs 2 threads. Holds with the SkylakeX kernels (Eslm's choice on AVX-512 CPUs; see
    /// OpenBlas.Sgemm for the k split that makes it hold); the Haswell/Zen kernels of OpenBLAS 0.3.21 change the last
    /// bits of ~20% of a product's entries with the thread count, so there the check is skipped.
    /// </summary>
    [SkippableTheory]
    [InlineData(false)] [InlineData(true)]
    public void Losses_and_gradients_do_not_depend_on_the_thread_count_with_SkylakeX_kernels(bool sparseWeights)
    {
        Skip.If(OpenBlas.CoreName != "SkylakeX", $"OpenBLAS kernels '{OpenBlas.CoreName}' are not thread-count deterministic (see the summary)");
        var one = RunWithThreads(1, 1, sparseWeights);
        var two = RunWithThreads(2, 2, sparseWeights);
        AssertBitIdentical(one.Item1, two.Item1, "losses");
        AssertBitIdentical(one.Item2, two.Item2, "entropies");
        AssertGradientsBitIdentical(one.Item3, two.Item3);
    }
}
