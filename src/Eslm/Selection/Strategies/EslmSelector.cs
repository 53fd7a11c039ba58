namespace Eslm.Selection.Strategies;

/// <summary>
/// `eslm` (arXiv 2505.19893): score = the student's per-token loss (default) or predictive entropy; keep score ≥ VaR_α.
/// With loss scores the kept-token mean is the empirical CVaR_α of the loss.
/// </summary>
public class EslmSelector(SelectionOptions options) : TokenSelector(options), IStrategy
{
    public static StrategyDefinition Definition { get; } = new("eslm", "keep tokens whose loss or entropy is ≥ VaR_α (risk-averse selection)", o => new EslmSelector(o))
    {
        Order = 20, Uses = SharedOptions.Score | SharedOptions.Alpha,
        Describe = o => $"{o.Strategy} {o.Score.ToString().ToLowerInvariant()} α={o.Alpha:0.##}",
    };

    public override void Score(in TokenStats stats, Span<float> scores) =>
        (Options.Score == ScoreKind.Entropy ? stats.Entropy : stats.Loss)[..scores.Length].CopyTo(scores);
}
