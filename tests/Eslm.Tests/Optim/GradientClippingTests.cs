using Eslm.Optim;
using Eslm.Tensors;
using Xunit;

namespace Eslm.Tests.Optim;

public class GradientClippingTests
{
    [Fact]
    public void The_global_norm_covers_every_tensor_of_the_block()
    {
        // 3, 4 in one tensor, 12 in another, and 17 ones (a vector of 16 and a tail) in a third: √(9 + 16 + 144 + 17) = √186.
        using var g = new TensorBlock([new TensorSpec("a", 2), new TensorSpec("b", 1), new TensorSpec("c", 17)]);
        g.Span(0)[0] = 3f; g.Span(0)[1] = 4f; g.Span(1)[0] = 12f; g.Span(2).Fill(1f);
        Assert.Equal(Math.Sqrt(186), GradientClipping.GlobalNorm(g), 1e-6);
    }

    [Fact]
    public void Above_the_threshold_the_scale_is_max_over_norm_plus_1e6()
    {
        Assert.Equal(1.0 / (13 + 1e-6), GradientClipping.ScaleFor(13, 1f), 1e-7);
        Assert.Equal(5.0 / (13 + 1e-6), GradientClipping.ScaleFor(13, 5f), 1e-7);
    }

    [Theory]
    [InlineData(0.5, 1f)]  // below the threshold
    [InlineData(1.0, 1f)]  // at the threshold: clip_grad_norm_ scales only when norm > max
    [InlineData(13.0, 0f)] // clip 0 = off
    [InlineData(13.0, -1f)]
    public void Below_the_threshold_or_with_clipping_off_the_scale_is_one(double norm, float maxNorm)
    {
        Assert.Equal(1f, GradientClipping.ScaleFor(norm, maxNorm));
    }
}
