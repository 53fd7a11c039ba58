namespace Eslm.Selection;

/// <summary>
/// How a scope's VaR_α is computed: over the scope's own scores (<see cref="LocalValueAtRisk"/>), or over every
/// process's scores of the scope (<c>--selection-scope global</c>, supplied by training). Selectors ask for thresholds
/// through this interface so they never see processes.
/// </summary>
public interface IValueAtRisk
{
    /// <summary>The order statistic <paramref name="rule"/> picks from the scope's M scores (−∞ when its rank is 0).</summary>
    float Threshold(ReadOnlySpan<float> scores, ThresholdRule rule);
}

/// <summary>VaR over the given scores alone, with a reusable scratch buffer.</summary>
public sealed class LocalValueAtRisk : IValueAtRisk
{
    private float[] _scratch = [];

    public float Threshold(ReadOnlySpan<float> scores, ThresholdRule rule)
    {
        if (_scratch.Length < scores.Length) _scratch = new float[scores.Length];
        return ValueAtRisk.Threshold(scores, rule, _scratch);
    }
}
