using Eslm.Selection;
using Eslm.Training;
using Xunit;

namespace Eslm.Tests.Training;

/// <summary>
/// The backward's per-token weights (docs/selection.md, "Normalisation"), hand-computed: kept tokens share the weight of
/// their scope, dropped tokens get exactly 0, and the weights of one step sum to 1 under normalize=kept.
/// </summary>
public class TokenWeightsTests
{
    private static readonly bool[] Keep = [true, false, true, true, /* second sequence */ false, false, true, false];

    private static float[] Fill(TokenWeights w, bool[] keep, out int kept)
    {
        var weights = new float[keep.Length];
        Array.Fill(weights, float.NaN); // every entry must be written
        kept = w.Fill(keep, weights);
        return weights;
    }

    [Fact]
    public void Microbatch_scope_gives_each_kept_token_one_over_the_kept_count()
    {
        var weights = Fill(new TokenWeights(SelectionScope.Microbatch, Normalization.Kept, 4, 1, 2), Keep, out int kept);
        Assert.Equal(4, kept);
        Assert.Equal([0.25f, 0f, 0.25f, 0.25f, 0f, 0f, 0.25f, 0f], weights);
    }

    [Fact]
    public void Microbatch_scope_over_several_micro_batches_divides_by_their_number()
    {
        var weights = Fill(new TokenWeights(SelectionScope.Microbatch, Normalization.Kept, 4, 2, 4), Keep, out _);
        Assert.Equal(1f / 8, weights[0]);
        Assert.Equal(0f, weights[1]);
    }

    [Fact]
    public void Sequence_scope_weights_each_sequence_by_its_own_kept_count_and_an_empty_sequence_gets_zero()
    {
        var weights = Fill(new TokenWeights(SelectionScope.Sequence, Normalization.Kept, 4, 1, 2), Keep, out _);
        Assert.Equal([1f / 6, 0f, 1f / 6, 1f / 6, 0f, 0f, 0.5f, 0f], weights);
        var none = Fill(new TokenWeights(SelectionScope.Sequence, Normalization.Kept, 4, 1, 2),
            [true, true, true, true, false, false, false, false], out _);
        Assert.Equal([0.125f, 0.125f, 0.125f, 0.125f, 0f, 0f, 0f, 0f], none);
    }

    [Fact]
    public void Step_scope_with_accumulation_divides_by_the_steps_kept_count()
    {
        var weights = Fill(new TokenWeights(SelectionScope.Step, Normalization.Kept, 4, 2, 4) { StepKept = 10 }, Keep, out _);
        Assert.Equal(0.1f, weights[0]);
        Assert.Equal(0f, weights[4]);
    }

    [Fact]
    public void Global_scope_multiplies_by_the_process_count_because_gradients_are_averaged()
    {
        var w = new TokenWeights(SelectionScope.Global, Normalization.Kept, 4, 1, 2) { GlobalKept = 16, Processes = 2 };
        Assert.Equal(2f / 16, Fill(w, Keep, out _)[0]);
        var all = new TokenWeights(SelectionScope.Global, Normalization.All, 4, 1, 2) { GlobalTokens = 32, Processes = 2 };
        Assert.Equal(2f / 32, Fill(all, Keep, out _)[2]);
    }

    [Fact]
    public void Normalize_all_divides_by_every_token_of_the_step_kept_or_not()
    {
        var weights = Fill(new TokenWeights(SelectionScope.Sequence, Normalization.All, 4, 2, 4), Keep, out int kept);
        Assert.Equal(4, kept);
        Assert.Equal([1f / 16, 0f, 1f / 16, 1f / 16, 0f, 0f, 1f / 16, 0f], weights);
    }

    [Fact]
    public void Normalize_all_counts_the_sequences_a_proxy_dropped_as_zero_loss()
    {
        // 2 of 3 sequences survived the filter (8 tokens here); all 12 tokens of the step divide the kept losses.
        var weights = Fill(new TokenWeights(SelectionScope.Microbatch, Normalization.All, 4, 1, 2) { StepTokens = 12 }, Keep, out _);
        Assert.Equal(1f / 12, weights[0]);
    }

    [Theory]
    [InlineData(SelectionScope.Microbatch)]
    [InlineData(SelectionScope.Sequence)]
    public void Under_normalize_kept_one_micro_batch_step_sums_to_one(SelectionScope scope)
    {
        var weights = Fill(new TokenWeights(scope, Normalization.Kept, 4, 1, 2), Keep, out _);
        Assert.Equal(1.0, weights.Sum(w => (double)w), 1e-6); // float weights 1/k summed in double
    }
}
