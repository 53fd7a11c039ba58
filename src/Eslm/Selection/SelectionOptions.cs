using Eslm.Model;

namespace Eslm.Selection;

/// <summary>Which tokens a selection threshold is computed over (none of the papers specifies this; see docs/selection.md).</summary>
public enum SelectionScope
{
    /// <summary>Each sequence separately.</summary>
    Sequence,
    /// <summary>All tokens of one micro-batch (default).</summary>
    Microbatch,
    /// <summary>All micro-batches of one optimizer step (under gradient accumulation: a forward-only scoring pass first).</summary>
    Step,
    /// <summary>All processes' tokens (data-parallel training; equals Step in a single process).</summary>
    Global,
}

/// <summary>What the kept tokens' losses are divided by.</summary>
public enum Normalization
{
    /// <summary>By the kept count of each scope: the mean loss over kept tokens (the empirical CVaR for loss scores).</summary>
    Kept,
    /// <summary>By all tokens of the step, kept or not: dropped tokens count as zero loss.</summary>
    All,
}

public enum ScoreKind { Loss, Entropy }

public enum AdaRule { Schedule, Ratio }

public enum KdScore { TeacherEntropy, TeacherLoss, Kl }

/// <summary>
/// Every selection option with its default. Strategy names: clm, eslm, ada-eslm, rho1, eslm-kd, hierarchical, random, bottomk.
/// </summary>
public sealed record SelectionOptions
{
    public string Strategy { get; init; } = "clm";
    public ScoreKind Score { get; init; } = ScoreKind.Loss;
    /// <summary>ESLM's risk level α ∈ [0, 1): tokens scoring below VaR_α are dropped (α = 0 keeps all).</summary>
    public double Alpha { get; init; } = 0.5;
    /// <summary>Fraction kept by rho1 and random (the papers' top-k%); ∈ (0, 1].</summary>
    public double Keep { get; init; } = 0.6;
    public SelectionScope Scope { get; init; } = SelectionScope.Microbatch;
    public Normalization Normalize { get; init; } = Normalization.Kept;
    public ulong Seed { get; init; } = 1234;
    /// <summary>
    /// Every layer's backward over kept rows only, dropped tokens' keys and values as constants (default: the papers'
    /// 4·N·|kept| backward, matched the exact gradient's quality in experiments/backward-modes.json), or the exact gradient
    /// of the selected loss. The model's own default is exact; this is the training default.
    /// </summary>
    public BackwardMode Backward { get; init; } = BackwardMode.KeptRows;

    // Ada-ESLM
    public AdaRule AdaRule { get; init; } = AdaRule.Schedule;
    public double AlphaStart { get; init; } = 0.2;
    public double AlphaEnd { get; init; } = 0.6;
    /// <summary>linear or cosine interpolation from AlphaStart to AlphaEnd over the run.</summary>
    public string AdaSchedule { get; init; } = "linear";
    /// <summary>Ratio rule: target for (mean kept loss) / (mean all-token loss).</summary>
    public double AdaTargetRatio { get; init; } = 1.3;
    public double AdaRate { get; init; } = 0.05;
    public double AlphaMin { get; init; } = 0.1;
    public double AlphaMax { get; init; } = 0.9;

    // Rho-1
    public string? Reference { get; init; }
    public bool ReferenceOnline { get; init; }
    /// <summary>Precomputed reference losses of the training split (`eslm score`), instead of an online reference.</summary>
    public string? ReferenceLosses { get; init; }

    // ESLM-KD
    public string? Teacher { get; init; }
    public KdScore KdScore { get; init; } = KdScore.TeacherEntropy;
    public float KdLambda { get; init; }
    public float KdTemperature { get; init; } = 1f;

    // Hierarchical
    /// <summary>Layers of the early-exit proxy (first L' blocks + final LayerNorm + shared head).</summary>
    public int ProxyLayers { get; init; } = 1;
    /// <summary>Sequence-level risk level: sequences whose mean proxy score is below VaR_β are dropped.</summary>
    public double SequenceAlpha { get; init; } = 0.25;

    public static readonly string[] StrategyNames = ["clm", "eslm", "ada-eslm", "rho1", "eslm-kd", "hierarchical", "random", "bottomk"];

    public SelectionOptions Validate()
    {
        if (!StrategyNames.Contains(Strategy))
            throw new ArgumentException($"unknown strategy '{Strategy}' (known: {string.Join(", ", StrategyNames)})");
        if (Alpha is < 0 or >= 1 || double.IsNaN(Alpha)) throw new ArgumentException($"--alpha must be in [0, 1) (got {Alpha})");
        if (Keep is <= 0 or > 1 || double.IsNaN(Keep)) throw new ArgumentException($"--keep must be in (0, 1] (got {Keep})");
        if (AlphaStart is < 0 or >= 1 || AlphaEnd is < 0 or >= 1) throw new ArgumentException("--alpha-start and --alpha-end must be in [0, 1)");
        if (AlphaMin is < 0 or >= 1 || AlphaMax is < 0 or >= 1 || AlphaMin > AlphaMax)
            throw new ArgumentException($"need 0 <= --alpha-min <= --alpha-max < 1 (got {AlphaMin}, {AlphaMax})");
        if (AdaSchedule is not ("linear" or "cosine")) throw new ArgumentException($"--ada-schedule must be linear or cosine (got {AdaSchedule})");
        if (AdaRate < 0) throw new ArgumentException($"--ada-rate must be >= 0 (got {AdaRate})");
        if (!(AdaTargetRatio > 0)) throw new ArgumentException($"--ada-target-ratio must be > 0 (got {AdaTargetRatio})");
        if (KdLambda < 0) throw new ArgumentException($"--kd-lambda must be >= 0 (got {KdLambda})");
        if (!(KdTemperature > 0)) throw new ArgumentException($"--kd-temperature must be > 0 (got {KdTemperature})");
        if (ProxyLayers < 1) throw new ArgumentException($"--proxy-layers must be >= 1 (got {ProxyLayers})");
        if (SequenceAlpha is < 0 or >= 1) throw new ArgumentException($"--sequence-alpha must be in [0, 1) (got {SequenceAlpha})");
        if (Strategy == "rho1" && Reference is null && ReferenceLosses is null)
            throw new ArgumentException("rho1 needs --reference CKPT (a model trained on clean data, run online) or --reference-losses FILE (from `eslm score`)");
        if (Strategy == "eslm-kd" && Teacher is null) throw new ArgumentException("eslm-kd needs --teacher CKPT");
        return this;
    }
}
