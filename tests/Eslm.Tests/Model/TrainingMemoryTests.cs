using Eslm.Model;
using Xunit;

namespace Eslm.Tests.Model;

/// <summary>Impossible model shapes are refused before allocation: dimensions in 64-bit, memory against the machine's.</summary>
public class TrainingMemoryTests
{
    private static readonly GptConfig Tiny = GptConfig.FromPreset("tiny");

    [Theory]
    [InlineData(2147483647, 64, 64)]   // Vp would wrap around in 32 bits
    [InlineData(50257, 64, 100000000)] // wpe alone is 6.4e9 floats
    [InlineData(50257, 2000000000, 64)]
    public void Dimensions_whose_parameters_do_not_fit_are_rejected(int vocab, int channels, int context)
    {
        var config = Tiny with { VocabSize = vocab, Channels = channels, Heads = 1, MaxSequenceLength = context };
        var e = Assert.ThrowsAny<ArgumentException>(() => config.Validated());
        Assert.Contains("parameters", e.Message);
        Assert.Contains("limit", e.Message);
    }

    [Fact]
    public void The_estimate_counts_four_parameter_copies_and_the_activations()
    {
        var m = TrainingMemory.Estimate(Tiny, 8, 64);
        double parameters = ParameterLayout.For(Tiny).Sum(s => (double)s.Count) * 4;
        Assert.Equal(2 * parameters, m.ParameterBytes);
        Assert.Equal(2 * parameters, m.OptimizerBytes);
        Assert.True(m.ActivationBytes > 8 * 64 * Tiny.Vp * 4.0); // the logits alone
    }

    [Fact]
    public void A_run_larger_than_the_machine_is_refused_with_the_estimate_and_the_memory()
    {
        var m = TrainingMemory.Estimate(Tiny, 100000, 64);
        var e = Assert.Throws<InsufficientMemoryException>(() => m.RequireFits("training tiny", 16L << 30));
        Assert.Contains("needs at least", e.Message);
        Assert.Contains("this machine has 16.0 GiB", e.Message);
        TrainingMemory.Estimate(Tiny, 8, 64).RequireFits("training tiny", 16L << 30);
    }

    [Fact]
    public void More_tokens_per_micro_batch_than_an_int_holds_is_rejected() =>
        Assert.Contains("tokens per micro-batch", Assert.ThrowsAny<ArgumentException>(() => TrainingMemory.Estimate(Tiny, 100000000, 64)).Message);
}
