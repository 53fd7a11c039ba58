using Eslm.Model;
using Eslm.Tensors;
using Xunit;

namespace Eslm.Tests.Model;

public class ParameterLayoutTests
{
    /// <summary>AdamW decays exactly the tensors flagged here; before the flag it decayed ParameterLayout.Matrices by name.</summary>
    [Fact]
    public void The_layout_flags_exactly_the_matrices_for_weight_decay()
    {
        var specs = ParameterLayout.For(ModelTestSupport.Tiny);
        Assert.Equal(ParameterLayout.Matrices.OrderBy(n => n), specs.Where(s => s.Decay).Select(s => s.Name).OrderBy(n => n));
        Assert.Equal(["wte", "wpe", "qkvw", "attprojw", "fcw", "fcprojw"], specs.Where(s => s.Decay).Select(s => s.Name));
        Assert.False(new TensorSpec("x", 3, 4).Decay);
    }
}
