using Eslm.Tensors;

namespace Eslm.Model;

/// <summary>
/// The ordered list of parameter tensors (llm.c's order, which is also its model-file order). Per-layer tensors are
/// stacked with a leading L dimension. The same list lays out parameters, gradients and both AdamW moments.
/// </summary>
public static class ParameterLayout
{
    public const string Wte = "wte", Wpe = "wpe", Ln1W = "ln1w", Ln1B = "ln1b", QkvW = "qkvw", QkvB = "qkvb",
        AttProjW = "attprojw", AttProjB = "attprojb", Ln2W = "ln2w", Ln2B = "ln2b", FcW = "fcw", FcB = "fcb",
        FcProjW = "fcprojw", FcProjB = "fcprojb", LnfW = "lnfw", LnfB = "lnfb";

    /// <summary>
    /// Matrices get weight decay (the "≥ 2-D" rule once the stacking dimension is removed); vectors do not.
    /// <see cref="For"/> marks them with <see cref="TensorSpec.Decay"/>, which is what the optimizer reads.
    /// </summary>
    public static readonly IReadOnlySet<string> Matrices = new HashSet<string> { Wte, Wpe, QkvW, AttProjW, FcW, FcProjW };

    /// <summary>Residual-stream output projections: initialised with std 0.02/√(2L) (GPT-2 paper, nanoGPT).</summary>
    public static readonly IReadOnlySet<string> ResidualProjections = new HashSet<string> { AttProjW, FcProjW };

    public static IReadOnlyList<TensorSpec> For(GptConfig config)
    {
        int L = config.L, C = config.C;
        TensorSpec[] specs =
        [
            new(Wte, config.Vp, C), new(Wpe, config.MaxSequenceLength, C),
            new(Ln1W, L, C), new(Ln1B, L, C),
            new(QkvW, L, 3 * C, C), new(QkvB, L, 3 * C),
            new(AttProjW, L, C, C), new(AttProjB, L, C),
            new(Ln2W, L, C), new(Ln2B, L, C),
            new(FcW, L, 4 * C, C), new(FcB, L, 4 * C),
            new(FcProjW, L, C, 4 * C), new(FcProjB, L, C),
            new(LnfW, C), new(LnfB, C),
        ];
        return specs.Select(s => s with { Decay = Matrices.Contains(s.Name) }).ToArray();
    }
}
