namespace Eslm.Selection.Strategies;

/// <summary>`clm`: every token, mean loss (the baseline).</summary>
public sealed class ClmSelector(SelectionOptions options) : TokenSelector(options), IStrategy
{
    /// <summary>The baseline's name, spelt once: code that treats the baseline specially compares with this.</summary>
    public const string StrategyName = "clm";

    public static StrategyDefinition Definition { get; } = new(StrategyName, "every token (plain causal language modelling, the baseline)", o => new ClmSelector(o))
    {
        Order = 10, Uses = SharedOptions.None, KeepsEveryToken = true,
    };

    public override double Alpha => 0;

    public override void Score(in TokenStats stats, Span<float> scores) => scores.Clear();

    public override float Select(ReadOnlySpan<float> scores, Span<bool> keep, IValueAtRisk valueAtRisk)
    {
        keep.Fill(true);
        return float.NaN;
    }
}
