namespace Eslm.Selection.Strategies;

/// <summary>`bottomk`: the sanity control that keeps the *lowest* scores (ESLM's VaR rule applied to −score).</summary>
public sealed class BottomKSelector(SelectionOptions options) : EslmSelector(options), IStrategy
{
    public static new StrategyDefinition Definition { get; } = new("bottomk", "control: keep the lowest-scoring tokens (ESLM's rule on −score)", o => new BottomKSelector(o))
    {
        Order = 80, Uses = SharedOptions.Score | SharedOptions.Alpha,
        Describe = EslmSelector.Definition.Describe,
    };

    public override void Score(in TokenStats stats, Span<float> scores)
    {
        base.Score(stats, scores);
        for (int i = 0; i < scores.Length; i++) scores[i] = -scores[i];
    }
}
