namespace Eslm.Selection;

/// <summary>
/// What a selector needs besides the student's own statistics. Training owns every auxiliary model run: it loads the
/// models named here, runs them on each micro-batch, fills the matching <see cref="TokenStats"/> fields and counts their
/// FLOPs. Selectors stay pure functions of statistics.
/// </summary>
public sealed record AuxiliaryNeeds
{
    public static readonly AuxiliaryNeeds None = new();

    /// <summary>A frozen reference model run online on every micro-batch → <see cref="TokenStats.ReferenceLoss"/>.</summary>
    public string? ReferenceModel { get; init; }

    /// <summary>Reference losses precomputed by `eslm score`, looked up by token position → <see cref="TokenStats.ReferenceLoss"/>.</summary>
    public string? ReferenceLossFile { get; init; }

    /// <summary>A teacher run on every micro-batch → <see cref="TokenStats.TeacherLoss"/> and <see cref="TokenStats.TeacherEntropy"/>.</summary>
    public string? TeacherModel { get; init; }

    /// <summary>Also compute <see cref="TokenStats.TeacherKl"/> (needs <see cref="TeacherModel"/>).</summary>
    public bool TeacherKl { get; init; }

    /// <summary>Distil from the teacher on kept tokens: the head gradient gains λ·τ·(q_s − q_t) (null = plain cross-entropy).</summary>
    public Distillation? Distillation { get; init; }

    /// <summary>
    /// Layers of an early-exit proxy (the student's first L' blocks, final LayerNorm and head) run on each micro-batch
    /// before the student's forward; its statistics go to <see cref="TokenSelector.SelectSequences"/>. 0 = none.
    /// </summary>
    public int ProxyLayers { get; init; }
}

/// <summary>The distillation term λ·τ²·KL(q_t ‖ q_s) on kept tokens, q = softmax(logits/τ).</summary>
public sealed record Distillation(float Lambda, float Temperature);
