using Eslm.Model;
using Eslm.Optim;
using Eslm.Tensors;
using Xunit;

namespace Eslm.Tests.Optim;

public class AdamWTests
{
    // A matrix (decayed) of 17 elements (one 16-wide vector plus a scalar tail) and a vector (not decayed) of 3.
    private static TensorBlock Block(float value)
    {
        var block = new TensorBlock([new TensorSpec(ParameterLayout.QkvW, 17) { Decay = true }, new TensorSpec(ParameterLayout.Ln1W, 3)]);
        block.All.Fill(value);
        return block;
    }

    [Fact]
    public void Two_steps_match_the_hand_computed_bias_corrected_update_with_decay_on_matrices_only()
    {
        // lr 0.1, wd 0.1, β = (0.9, 0.95), ε = 1e-8; p0 = 1, g1 = 0.5, g2 = -0.25.
        // Step 1: m = 0.05, v = 0.0125; m̂ = 0.05/0.1 = 0.5, v̂ = 0.0125/0.05 = 0.25, so the step is lr·0.5/(0.5 + ε).
        //   decayed: 1·(1 − 0.01) − 0.1·0.5/(0.5 + 1e-8) = 0.890000002;  not decayed: 1 − 0.099999998 = 0.900000002.
        // Step 2: m = 0.9·0.05 − 0.1·0.25 = 0.02, v = 0.95·0.0125 + 0.05·0.0625 = 0.015;
        //   m̂ = 0.02/0.19, v̂ = 0.015/0.0975, step = 0.1·m̂/(√v̂ + ε) = 0.026836944…
        //   decayed: 0.890000002·0.99 − step = 0.854263058;  not decayed: 0.900000002 − step = 0.873163058.
        using var p = Block(1f);
        using var g = Block(0.5f);
        using var adam = new AdamW(p, new AdamWOptions { WeightDecay = 0.1f });
        adam.Update(p, g, 0.1f);
        Assert.Equal(1, adam.Step);
        AssertAll(p.Span(0), 0.890000002);
        AssertAll(p.Span(1), 0.900000002);
        AssertAll(adam.M.All, 0.05);
        AssertAll(adam.V.All, 0.0125);

        g.All.Fill(-0.25f);
        adam.Update(p, g, 0.1f);
        AssertAll(p.Span(0), 0.8542630578558273);
        AssertAll(p.Span(1), 0.8731630578758274);
        AssertAll(adam.M.All, 0.02);
        AssertAll(adam.V.All, 0.015);
    }

    [Fact]
    public void The_gradient_scale_multiplies_the_gradient_before_the_moments()
    {
        // Scale 0.5 on g = 1 is g = 0.5: the same first step as above (decay 0 here).
        using var p = Block(1f);
        using var g = Block(1f);
        using var adam = new AdamW(p, new AdamWOptions { WeightDecay = 0f });
        adam.Update(p, g, 0.1f, gradientScale: 0.5f);
        AssertAll(p.All, 0.900000002);
        AssertAll(adam.M.All, 0.05);
        AssertAll(adam.V.All, 0.0125);
    }

    [Fact]
    public void Defaults_are_the_nanoGPT_ones()
    {
        var o = new AdamWOptions();
        Assert.Equal((0.9f, 0.95f, 1e-8f, 0.1f), (o.Beta1, o.Beta2, o.Epsilon, o.WeightDecay));
    }

    [Fact]
    public void Clearing_gradients_in_the_pass_leaves_the_update_bit_for_bit_and_the_gradients_known_zero()
    {
        // Two optimizers from the same state, one clearing as it reads: weights and moments agree bit for bit, and the
        // clearing one's gradients (vector body and scalar tail) are zero and marked so, which lets zero_grad skip them.
        using var p1 = Block(1f); using var p2 = Block(1f);
        using var g1 = Block(0f); using var g2 = Block(0f);
        Span<float> s1 = g1.All, s2 = g2.All;
        for (int i = 0; i < s1.Length; i++) s1[i] = s2[i] = 0.01f * (i - 7);
        using var plain = new AdamW(p1); using var clearing = new AdamW(p2);
        plain.Update(p1, g1, 0.1f, gradientScale: 0.7f);
        clearing.Update(p2, g2, 0.1f, gradientScale: 0.7f, clearGradients: true);
        Assert.Equal(p1.All.ToArray(), p2.All.ToArray());
        Assert.Equal(plain.M.All.ToArray(), clearing.M.All.ToArray());
        Assert.Equal(plain.V.All.ToArray(), clearing.V.All.ToArray());
        Assert.False(g1.IsKnownZero);
        Assert.True(g2.IsKnownZero);
        Assert.All(g2.All.ToArray(), g => Assert.Equal(0f, g));
        Assert.NotEqual(0f, g1.All[0]);
    }

    private static void AssertAll(Span<float> values, double expected)
    {
        for (int i = 0; i < values.Length; i++)
            Assert.True(Math.Abs(values[i] - expected) <= 1e-6, $"element {i}: {values[i]} != {expected}");
    }
}
