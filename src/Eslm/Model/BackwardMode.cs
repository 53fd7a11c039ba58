namespace Eslm.Model;

/// <summary>
/// What the backward does with tokens whose loss weight is zero (the tokens a selection strategy dropped).
/// docs/selection.md ("Which backward") compares the two.
/// </summary>
public enum BackwardMode
{
    /// <summary>
    /// The exact gradient of the selected loss. Dropped tokens cost no LM-head backward, and the last block's MLP and
    /// attention projection run over kept rows only, but gradient still reaches every earlier position through attention
    /// (kept queries attend to dropped keys), so the lower blocks' backward stays dense.
    /// </summary>
    Exact,

    /// <summary>
    /// Every layer's backward runs over the kept rows only: dropped tokens serve as context in the forward, but their keys
    /// and values are constants in the backward (a stop-gradient). Backward FLOPs then scale with the kept count, the
    /// papers' 4·N·|kept| accounting. An approximation of the exact gradient; tested against a double-precision
    /// reference with that stop-gradient, whose gradient is checked by finite differences.
    /// </summary>
    KeptRows,
}

public static class BackwardModeNames
{
    /// <summary>The option's spelling ("exact", "kept-rows"): the kebab-case that run.json and checkpoints use for enums.</summary>
    public static string Name(this BackwardMode mode) => System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(mode.ToString());
}
