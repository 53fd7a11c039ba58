using Eslm.Model;
using Eslm.Native;
using Eslm.Tensors;
using Eslm.Tests.Reference;
using Xunit;

namespace Eslm.Tests.Model;

/// <summary>
/// The bf16 state is explicit: the activation layout keeps the shadows the backward's products read, and they count only
/// when the last forward wrote them; the parameter block keeps the weights' mirror, rounded again after any change.
/// </summary>
[Collection(SerialCollection.Name)]
public class Bf16ShadowTests
{
    private static readonly GptConfig Config = new() { Layers = 2, Heads = 4, Channels = 64, MaxSequenceLength = 32, VocabSize = 200, PaddedVocabSize = 256 };
    private const int B = 2, T = 32;

    private static float[] Weights(bool dropSome) =>
        Enumerable.Range(0, B * T).Select(i => dropSome && i % 3 == 1 ? 0f : 1f / (B * T)).ToArray();

    private static float[] Gradient(ModelCase c, bool dropSome, Action<Gpt> betweenForwardAndBackward)
    {
        using var gpt = ModelTestSupport.Create(Config, c.Parameters);
        gpt.Precision = Precision.Bf16;
        gpt.BackwardMode = BackwardMode.KeptRows;
        gpt.Forward(c.Inputs, c.Targets, B, T);
        betweenForwardAndBackward(gpt);
        gpt.ZeroGradients();
        gpt.Backward(Weights(dropSome));
        return gpt.Gradients.All.ToArray();
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Shadows_reallocated_after_the_forward_are_not_read_and_the_gradient_is_unchanged(bool dropSome)
    {
        Blas.Ensure();
        Skip.If(OneDnn.Bf16Unavailable is not null, OneDnn.Bf16Unavailable);
        var c = ModelCase.Random(Config, B, T, 8);
        var plain = Gradient(c, dropSome, _ => { });
        // fp32 and back: fresh (unwritten) shadows; the backward must round the saved fp32 activations itself.
        var roundTrip = Gradient(c, dropSome, gpt => { gpt.Precision = Precision.Fp32; gpt.Precision = Precision.Bf16; });
        Assert.True(plain.AsSpan().SequenceEqual(roundTrip), "the backward read shadows that no forward wrote");
    }

    [SkippableFact]
    public unsafe void The_forward_leaves_every_shadow_holding_the_bf16_rounding_of_its_activation()
    {
        Blas.Ensure();
        Skip.If(OneDnn.Bf16Unavailable is not null, OneDnn.Bf16Unavailable);
        var c = ModelCase.Random(Config, B, T, 10);
        using var gpt = ModelTestSupport.Create(Config, c.Parameters);
        gpt.Precision = Precision.Bf16;
        gpt.Forward(c.Inputs, c.Targets, B, T);
        // LayerNorm, attention and GELU write their shadows themselves (the products trust them and do not round again).
        // A wrong or missing fused write shows here, and in the dW products that read it.
        var shadows = gpt.ActivationShadows!;
        foreach (var spec in shadows.Specs)
        {
            var values = gpt.Activations.Span(spec.Name);
            var expected = new ushort[values.Length];
            fixed (float* v = values) fixed (ushort* e = expected) Bf16.FromFloat(v, e, values.Length);
            var actual = new ReadOnlySpan<ushort>(shadows.Pointer(spec.Name), values.Length);
            Assert.True(actual.SequenceEqual(expected), $"shadow '{spec.Name}' is not bf16 of its activation");
        }
    }

    [SkippableFact]
    public void Weights_changed_between_forward_and_backward_are_rounded_again_for_the_backward()
    {
        Blas.Ensure();
        Skip.If(OneDnn.Bf16Unavailable is not null, OneDnn.Bf16Unavailable);
        var c = ModelCase.Random(Config, B, T, 9);
        var unchanged = Gradient(c, false, _ => { });
        // dX of every product reads the weights' mirror: a stale mirror would give the unchanged gradient.
        var changed = Gradient(c, false, gpt => { foreach (ref float w in gpt.Parameters.Span(ParameterLayout.FcProjW)) w *= 2f; });
        Assert.False(unchanged.AsSpan().SequenceEqual(changed), "the backward read a mirror of the old weights");
    }
}
