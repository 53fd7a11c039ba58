using System.Text.Json.Nodes;
using Eslm.Tensors;

namespace Eslm.Selection.Strategies;

/// <summary>`random`: a uniformly random ⌈keep·M⌉ tokens of each scope, from a seeded stream saved in checkpoints.</summary>
public sealed class RandomSelector(SelectionOptions options) : TokenSelector(options), IStrategy
{
    public static StrategyDefinition Definition { get; } = new("random", "control: a uniformly random keep fraction of each scope", o => new RandomSelector(o))
    {
        Order = 70, Uses = SharedOptions.Keep | SharedOptions.Seed,
        Describe = DescribeKeep,
    };

    /// <summary>"random keep=0.5" (and the scope when it is not the default); shared with rho1.</summary>
    public static string DescribeKeep(SelectionOptions o) =>
        $"{o.Strategy} keep={o.Keep:0.##}" + (o.Scope == SelectionScope.Microbatch ? "" : $" scope={o.Scope.ToString().ToLowerInvariant()}");

    private Rng _rng = new(options.Seed);
    private int[] _order = [];

    public override double Alpha => 1 - Options.Keep;

    public override void Score(in TokenStats stats, Span<float> scores) => scores.Clear();

    public override float Select(ReadOnlySpan<float> scores, Span<bool> keep, IValueAtRisk valueAtRisk)
    {
        int m = scores.Length;
        int count = Math.Clamp((int)Math.Ceiling(Options.Keep * m - 1e-9 * m), 1, m);
        if (count == m) { keep.Fill(true); return float.NaN; }
        if (_order.Length < m) _order = new int[m];
        for (int i = 0; i < m; i++) _order[i] = i;
        keep[..m].Clear();
        for (int i = 0; i < count; i++) // partial Fisher–Yates: the first `count` positions are a uniform sample
        {
            int j = i + _rng.NextInt(m - i);
            (_order[i], _order[j]) = (_order[j], _order[i]);
            keep[_order[i]] = true;
        }
        return float.NaN;
    }

    public override JsonObject SaveState() => new() { ["rng"] = _rng.State };

    public override void RestoreState(JsonObject state)
    {
        if (state["rng"] is JsonValue rng) _rng = Rng.FromState(rng.GetValue<string>());
    }
}
