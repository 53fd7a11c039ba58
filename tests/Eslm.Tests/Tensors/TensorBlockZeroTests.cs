using Eslm.Model;
using Eslm.Tensors;
using Eslm.Tests.Model;
using Xunit;

namespace Eslm.Tests.Tensors;

/// <summary><see cref="TensorBlock.IsKnownZero"/>: what lets zero_grad skip a gradient block the optimizer already cleared.</summary>
public class TensorBlockZeroTests
{
    [Fact]
    public void A_block_is_known_zero_after_clearing_until_anything_may_write_it()
    {
        using var block = new TensorBlock([new TensorSpec(ParameterLayout.Ln1W, 5)]);
        Assert.True(block.IsKnownZero); // allocated cleared

        block.MarkModified();
        Assert.False(block.IsKnownZero);
        block.Clear();
        Assert.True(block.IsKnownZero);

        block.Span(0)[2] = 1f; // a span accessor may write
        Assert.False(block.IsKnownZero);
        block.Clear();
        block.MarkCleared(); // what a writer of zeros through raw pointers calls
        Assert.True(block.IsKnownZero);
        block.MarkModified();
        block.MarkCleared();
        Assert.True(block.IsKnownZero);

        _ = block.All;
        Assert.False(block.IsKnownZero);
    }

    [Fact]
    public void Zero_gradients_clears_what_a_backward_wrote_and_skips_a_block_already_clear()
    {
        var cfg = ModelTestSupport.Tiny;
        using var gpt = ModelTestSupport.Create(cfg, ModelTestSupport.RandomParameters(cfg, seed: 3));
        int[] tokens = [1, 2, 3, 4], targets = [2, 3, 4, 5];
        gpt.ZeroGradients();
        gpt.Forward(tokens, targets, 1, 4);
        gpt.Backward([0.25f, 0.25f, 0.25f, 0.25f]);
        Assert.False(gpt.Gradients.IsKnownZero);
        Assert.Contains(gpt.Gradients.All.ToArray(), g => g != 0f); // the backward wrote through raw pointers
        long version = gpt.Gradients.Version;
        gpt.ZeroGradients();
        Assert.True(gpt.Gradients.IsKnownZero);
        Assert.True(gpt.Gradients.Version > version);
        version = gpt.Gradients.Version;
        gpt.ZeroGradients(); // already clear: nothing to do
        Assert.Equal(version, gpt.Gradients.Version);
        Assert.All(gpt.Gradients.All.ToArray(), g => Assert.Equal(0f, g));
    }
}
