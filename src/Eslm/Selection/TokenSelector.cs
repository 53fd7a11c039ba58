using System.Text.Json.Nodes;

namespace Eslm.Selection;

/// <summary>
/// A token-selection rule: a pure function from per-token statistics (and its own serialisable state, such as
/// Ada-ESLM's α or the random mask's RNG) to scores, and from one scope's scores to a keep mask. It never sees a model:
/// training runs every model (<see cref="Needs"/>), turns masks into per-token weights and runs the backward.
/// A strategy is one file: its selector, its settings record and its <see cref="StrategyDefinition"/> (docs/extending.md).
/// </summary>
public abstract class TokenSelector
{
    protected TokenSelector(SelectionOptions options) => Options = options;

    public SelectionOptions Options { get; }

    public string Name => Options.Strategy;

    /// <summary>α used for the current step (Ada-ESLM changes it; keep-based strategies report 1 − keep).</summary>
    public virtual double Alpha => Options.Alpha;

    /// <summary>The threshold's order statistic: VaR_α by default; keep-based strategies keep the top fraction.</summary>
    public virtual ThresholdRule Rule => ThresholdRule.OfAlpha(Alpha);

    /// <summary>Auxiliary statistics (reference, teacher, early-exit proxy) training must provide.</summary>
    public virtual AuxiliaryNeeds Needs => AuxiliaryNeeds.None;

    /// <summary>Scores for the tokens of <paramref name="stats"/>; higher scores are kept first.</summary>
    public abstract void Score(in TokenStats stats, Span<float> scores);

    /// <summary>
    /// Marks the kept tokens of one scope and returns the threshold used (NaN when there is none).
    /// Default: keep score ≥ the threshold of <see cref="Rule"/> (ESLM's VaR_α), found by <paramref name="valueAtRisk"/>.
    /// </summary>
    public virtual float Select(ReadOnlySpan<float> scores, Span<bool> keep, IValueAtRisk valueAtRisk)
    {
        float threshold = valueAtRisk.Threshold(scores, Rule);
        ValueAtRisk.Keep(scores, threshold, keep);
        return threshold;
    }

    /// <summary>
    /// Sequence filter (hierarchical selection): from an early-exit proxy's statistics of the whole micro-batch of
    /// <paramref name="batchSize"/> sequences, the indices of the sequences to keep (ascending), or null to keep all.
    /// Called only when <see cref="AuxiliaryNeeds.ProxyLayers"/> &gt; 0.
    /// </summary>
    public virtual int[]? SelectSequences(in TokenStats proxyStats, int batchSize) => null;

    /// <summary>Called after each optimizer step with what the step selected (Ada-ESLM adapts α here).</summary>
    public virtual void AfterStep(SelectionStepStats stats, int step, int totalSteps) { }

    public virtual JsonObject SaveState() => new();

    public virtual void RestoreState(JsonObject state) { }
}

/// <summary>What selection did in one optimizer step (logged per step into metrics JSONL).</summary>
public sealed record SelectionStepStats
{
    public double Alpha { get; init; }
    /// <summary>Mean threshold over the step's scopes (NaN when no threshold applies).</summary>
    public double Threshold { get; init; }
    public double KeptFraction { get; init; }
    public long KeptTokens { get; init; }
    public long AllTokens { get; init; }
    public double LossAll { get; init; }
    public double LossKept { get; init; }
    /// <summary>Empirical CVaR_α of the student's token losses over the step.</summary>
    public double Cvar { get; init; }
    public double FlopsAccounted { get; init; }
}
