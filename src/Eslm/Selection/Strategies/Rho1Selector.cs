namespace Eslm.Selection.Strategies;

/// <summary>Rho-1's settings: where the reference losses come from.</summary>
public sealed record Rho1Settings : IStrategySettings
{
    [Setting("rho1: reference model checkpoint (or preset:NAME for a random one, for benchmarks)", IsPath = true)]
    public string? Reference { get; init; }
    [Setting("rho1: run the frozen reference on every batch (its forward is counted); the default with --reference")]
    public bool ReferenceOnline { get; init; }
    [Setting("rho1: precomputed reference losses of the training split (eslm score) instead of an online reference", IsPath = true, IsReferenceLosses = true)]
    public string? ReferenceLosses { get; init; }

    public void Validate(bool selected)
    {
        // Both given: one of them would be ignored (the sidecar, or the model), whichever --reference-online picks.
        if (Reference is not null && ReferenceLosses is not null)
            throw new ArgumentException("give either --reference (a model run online) or --reference-losses (its precomputed sidecar), not both");
        if (selected && Reference is null && ReferenceLosses is null)
            throw new ArgumentException("rho1 needs --reference CKPT (a model trained on clean data, run online) or --reference-losses FILE (from `eslm score`)");
    }

    /// <summary>A reference model without a sidecar runs online.</summary>
    public IStrategySettings Resolved() => this with { ReferenceOnline = ReferenceOnline || (Reference is not null && ReferenceLosses is null) };

    /// <summary>The sidecar is used unless the reference is asked to run online.</summary>
    public bool UsesSidecar => ReferenceLosses is not null && !ReferenceOnline;
}

/// <summary>
/// `rho1` (Rho-1 / SLM, arXiv 2404.07965): score = excess loss = student loss − reference loss; keep the top
/// <see cref="SelectionOptions.Keep"/> fraction: score ≥ the ⌈keep·M⌉-th largest (<see cref="ThresholdRule.OfKeep"/>),
/// ties kept. The reference losses come
/// either from a frozen reference model run online on every micro-batch (its forward is counted in the accounted FLOPs),
/// or from a sidecar precomputed once by `eslm score`, looked up by token position; training provides them.
/// </summary>
public sealed class Rho1Selector(SelectionOptions options) : TokenSelector(options), IStrategy
{
    public static StrategyDefinition Definition { get; } = new("rho1", "keep the top keep fraction by excess loss over a reference model (Rho-1)", o => new Rho1Selector(o))
    {
        Order = 40, Uses = SharedOptions.Keep,
        Settings = typeof(Rho1Settings),
        Describe = RandomSelector.DescribeKeep,
    };

    private readonly Rho1Settings _settings = options.Get<Rho1Settings>();

    /// <summary>Logged as α: the dropped fraction.</summary>
    public override double Alpha => 1 - Options.Keep;

    public override ThresholdRule Rule => ThresholdRule.OfKeep(Options.Keep);

    public override AuxiliaryNeeds Needs => _settings.UsesSidecar
        ? new AuxiliaryNeeds { ReferenceLossFile = _settings.ReferenceLosses }
        : new AuxiliaryNeeds { ReferenceModel = _settings.Reference };

    public override void Score(in TokenStats stats, Span<float> scores)
    {
        var losses = stats.Loss; var reference = stats.ReferenceLoss;
        for (int i = 0; i < scores.Length; i++) scores[i] = losses[i] - reference[i];
    }
}
