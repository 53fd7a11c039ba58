using System.Collections.Immutable;
using Eslm.Selection.Strategies;

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

/// <summary>The student's per-token statistic a score-based strategy ranks by.</summary>
public enum ScoreKind { Loss, Entropy }

/// <summary>
/// The chosen strategy with the options every strategy shares (the VaR rule's α and score, top-k's keep, the scope,
/// the normalisation and the selection seed), plus each strategy's own settings record (<see cref="Get{T}"/>), declared
/// in the strategy's file. Defaults live here and in those records, nowhere else: the CLI, --config, experiment files
/// and run.json are all bound from them (<see cref="SelectionBinding"/>).
/// </summary>
public sealed record SelectionOptions
{
    public string Strategy { get; init; } = ClmSelector.StrategyName;
    /// <summary>What score-based strategies rank by.</summary>
    public ScoreKind Score { get; init; } = ScoreKind.Loss;
    /// <summary>ESLM's risk level α ∈ [0, 1): tokens scoring below VaR_α are dropped (α = 0 keeps all).</summary>
    public double Alpha { get; init; } = 0.5;
    /// <summary>Fraction kept by rho1 and random (the papers' top-k%); ∈ (0, 1].</summary>
    public double Keep { get; init; } = 0.6;
    public SelectionScope Scope { get; init; } = SelectionScope.Microbatch;
    public Normalization Normalize { get; init; } = Normalization.Kept;
    /// <summary>Seed of the random strategy's mask stream.</summary>
    public ulong Seed { get; init; } = 1234;

    /// <summary>Strategy settings records given explicitly, by type; absent ones take their defaults.</summary>
    public ImmutableDictionary<Type, IStrategySettings> Settings { get; init; } = ImmutableDictionary<Type, IStrategySettings>.Empty;

    /// <summary>The settings record of type <typeparamref name="T"/> (its defaults when none was given).</summary>
    public T Get<T>() where T : IStrategySettings, new() => Settings.TryGetValue(typeof(T), out var s) ? (T)s : new T();

    /// <summary>The settings record of <paramref name="type"/> (its defaults when none was given).</summary>
    public IStrategySettings Get(Type type) => Settings.TryGetValue(type, out var s) ? s : (IStrategySettings)Activator.CreateInstance(type)!;

    /// <summary>These options with <paramref name="settings"/> in place of the record of its type.</summary>
    public SelectionOptions With(IStrategySettings settings) => this with { Settings = Settings.SetItem(settings.GetType(), settings) };

    /// <summary>Checks every option and every strategy's settings; the chosen strategy's settings also check what it requires.</summary>
    public SelectionOptions Validate()
    {
        var chosen = StrategyRegistry.Get(Strategy);
        if (Alpha is < 0 or >= 1 || double.IsNaN(Alpha)) throw new ArgumentException($"--alpha must be in [0, 1) (got {Alpha})");
        if (Keep is <= 0 or > 1 || double.IsNaN(Keep)) throw new ArgumentException($"--keep must be in (0, 1] (got {Keep})");
        foreach (var definition in StrategyRegistry.All)
            if (definition.Settings is { } type) Get(type).Validate(definition == chosen);
        return this;
    }

    /// <summary>Record equality by value, settings included (the dictionary compares by reference otherwise).</summary>
    public bool Equals(SelectionOptions? other) =>
        other is not null && Strategy == other.Strategy && Score == other.Score && Alpha.Equals(other.Alpha) && Keep.Equals(other.Keep) &&
        Scope == other.Scope && Normalize == other.Normalize && Seed == other.Seed &&
        StrategyRegistry.All.All(d => d.Settings is not { } t || Equals(Get(t), other.Get(t)));

    public override int GetHashCode() => HashCode.Combine(Strategy, Score, Alpha, Keep, Scope, Normalize, Seed);
}
