using Eslm.Selection;

namespace Eslm.Training;

/// <summary>
/// How the kept tokens of a step are weighted in the backward, dL/dloss_i (docs/selection.md, "Normalisation"): a pure
/// function of the keep masks, the scope and the normalisation. Dropped tokens get 0.
/// </summary>
public readonly record struct TokenWeights(SelectionScope Scope, Normalization Normalize, int SequenceLength, int MicroBatches, int StepSequences)
{
    /// <summary>Kept tokens of the whole step (scope step with several micro-batches).</summary>
    public int StepKept { get; init; }
    /// <summary>Kept and all tokens over every process (scope global), and the process count.</summary>
    public double GlobalKept { get; init; }
    public double GlobalTokens { get; init; }
    public int Processes { get; init; } = 1;
    /// <summary>
    /// All tokens of the step on this process before hierarchical selection's sequence filter (0: StepSequences × T).
    /// normalize=all divides by them, so a sequence the proxy dropped counts as zero loss, as a dropped token does.
    /// </summary>
    public int StepTokens { get; init; }

    /// <summary>
    /// Weights of one micro-batch: kept tokens get 1/(kept count of their scope × number of scopes in the step) under
    /// normalize=kept, or 1/(all tokens of the step, before any sequence filter) under normalize=all. Global scope multiplies by the process count
    /// because gradients are then averaged over processes. Returns the kept count.
    /// </summary>
    public int Fill(ReadOnlySpan<bool> keep, Span<float> weights)
    {
        int T = SequenceLength, totalTokens = StepTokens > 0 ? StepTokens : StepSequences * T;
        int kept = 0;
        foreach (bool k in keep) if (k) kept++;
        if (Normalize == Normalization.All)
        {
            FillKept(weights, keep, Scope == SelectionScope.Global ? Processes / (float)GlobalTokens : 1f / totalTokens);
            return kept;
        }
        switch (Scope)
        {
            case SelectionScope.Sequence:
                for (int b = 0; b < keep.Length / T; b++)
                {
                    int k = 0;
                    for (int t = 0; t < T; t++) if (keep[b * T + t]) k++;
                    FillKept(weights.Slice(b * T, T), keep.Slice(b * T, T), k == 0 ? 0f : 1f / ((float)k * StepSequences));
                }
                break;
            case SelectionScope.Global:
                FillKept(weights, keep, Processes / (float)GlobalKept);
                break;
            case SelectionScope.Step when MicroBatches > 1:
                FillKept(weights, keep, 1f / StepKept);
                break;
            default:
                FillKept(weights, keep, 1f / ((float)kept * MicroBatches));
                break;
        }
        return kept;
    }

    /// <summary>weights[i] = w where the token is kept, 0 where it is dropped.</summary>
    private static void FillKept(Span<float> weights, ReadOnlySpan<bool> keep, float w)
    {
        for (int i = 0; i < weights.Length; i++) weights[i] = keep[i] ? w : 0f;
    }
}
