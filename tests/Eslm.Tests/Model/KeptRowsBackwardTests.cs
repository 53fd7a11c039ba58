using Eslm.Model;
using Eslm.Tests.Reference;
using Xunit;
using static Eslm.Tests.Reference.Numerics;

namespace Eslm.Tests.Model;

/// <summary>
/// <see cref="BackwardMode.KeptRows"/>: the reference's stop-gradient semantics are the gradient of a well-defined
/// function (dropped tokens' keys and values frozen; finite differences), Eslm's compact backward matches that reference
/// (awkward sizes, several attention blocks of kept queries, several LM-head chunks, sequences with no kept token), it
/// equals the exact backward when every token is kept, and it differs from it when some are not.
/// </summary>
public class KeptRowsBackwardTests
{
    public KeptRowsBackwardTests() => Blas.Ensure();

    private static readonly GptConfig Tiny = ModelTestSupport.Tiny;
    private static readonly GptConfig Long = new() { Layers = 2, Heads = 2, Channels = 8, MaxSequenceLength = 300, VocabSize = 13, PaddedVocabSize = 16 };

    private static void AssertMatchesDetachedReference(ModelCase c, float[] weights, string label)
    {
        var actual = c.Gradient(weights, BackwardMode.KeptRows);
        var expected = new RefGpt(c.Config, ToDouble(c.Parameters)).Gradient(c.Inputs, c.Targets, c.B, c.T, ToDouble(weights), detachDroppedKeysValues: true);
        ModelTestSupport.AssertTensorsClose(c.Config, expected, actual, 1e-4, label);
    }

    /// <summary>Weights with holes: sequence 0 mixed, sequence 1 all dropped, sequence 2 only its last token.</summary>
    private static readonly float[] TinyWeights = [0, 0.3f, 0, 0.1f, 0.2f, 0, 0, /**/ 0, 0, 0, 0, 0, 0, 0, /**/ 0, 0, 0, 0, 0, 0, 0.5f];

    [Fact]
    public void Reference_stop_gradient_is_the_gradient_with_dropped_keys_and_values_frozen()
    {
        var c = ModelCase.Random(Tiny, 3, 7, 21);
        var p = ToDouble(c.Parameters);
        var reference = new RefGpt(c.Config, p);
        var w = ToDouble(TinyWeights);
        var analytic = reference.Gradient(c.Inputs, c.Targets, 3, 7, w, detachDroppedKeysValues: true);
        var frozen = reference.LayerQkv(c.Inputs, c.Targets, 3, 7);
        double F() => reference.ObjectiveWithFrozenDroppedKeysValues(c.Inputs, c.Targets, 3, 7, w, frozen);
        ModelTestSupport.AssertMatchesFiniteDifferences(c.Config, analytic, F, p, seed: 22);
    }

    [Fact]
    public void Kept_rows_gradients_match_the_detached_reference()
    {
        AssertMatchesDetachedReference(ModelCase.Random(Tiny, 3, 7, 23), TinyWeights, "keptrows.tiny");
    }

    [Fact]
    public void Kept_rows_gradients_match_the_detached_reference_over_several_attention_blocks()
    {
        // Sequence 0 keeps 270 of 290 queries (three blocks of 128 kept queries); sequence 1 keeps every fifth token.
        var c = ModelCase.Random(Long, 2, 290, 24);
        var w = new float[580];
        var rng = new Random(25);
        for (int t = 0; t < 290; t++) w[t] = rng.NextDouble() < 0.93 ? 0.002f : 0f;
        for (int t = 0; t < 290; t += 5) w[290 + t] = 0.003f;
        w[289] = 0;
        AssertMatchesDetachedReference(c, w, "keptrows.long");
    }

    [Fact]
    public void Kept_rows_gradients_match_the_detached_reference_with_a_chunked_head()
    {
        var cfg = Long with { Layers = 1, MaxSequenceLength = 700 };
        var c = ModelCase.Random(cfg, 2, 700, 26);
        var w = new float[1400];
        var rng = new Random(27);
        for (int i = 0; i < w.Length; i++) w[i] = rng.NextDouble() < 0.85 ? 1f / 1400 : 0f;
        Assert.True(w.Count(x => x != 0) > Gpt.HeadChunkRows);
        AssertMatchesDetachedReference(c, w, "keptrows.chunked");
    }

    [Fact]
    public void With_every_token_kept_it_is_the_exact_backward_bit_for_bit()
    {
        var c = ModelCase.Random(Tiny, 3, 7, 28);
        var w = Randn(new Random(29), 21, 0.1);
        Assert.Equal(c.Gradient(w, BackwardMode.Exact), c.Gradient(w, BackwardMode.KeptRows));
    }

    [Fact]
    public void With_dropped_tokens_it_differs_from_the_exact_gradient_below_the_head()
    {
        var c = ModelCase.Random(Tiny, 3, 7, 30);
        var exact = c.Gradient(TinyWeights, BackwardMode.Exact);
        var kept = c.Gradient(TinyWeights, BackwardMode.KeptRows);
        var (qkvOffset, qkvCount) = ModelTestSupport.Tensors(Tiny).Where(t => t.Name == ParameterLayout.QkvW).Select(t => (t.Offset, t.Count)).Single();
        double e = RelativeError(ToDouble(exact).AsSpan(qkvOffset, qkvCount), kept.AsSpan(qkvOffset, qkvCount));
        Assert.True(e > 1e-3, $"kept-rows qkv gradient should differ from the exact one (relative difference {e:E2})");
    }
}
