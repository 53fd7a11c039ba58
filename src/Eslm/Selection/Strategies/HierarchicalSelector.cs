namespace Eslm.Selection.Strategies;

/// <summary>Hierarchical selection's settings: the proxy's depth and the sequence-level risk level.</summary>
public sealed record HierarchicalSettings : IStrategySettings
{
    [Setting("hierarchical: layers of the early-exit proxy")]
    public int ProxyLayers { get; init; } = 1;
    [Setting("hierarchical: sequence-level risk level β")]
    public double SequenceAlpha { get; init; } = 0.25;

    public void Validate(bool selected)
    {
        if (ProxyLayers < 1) throw new ArgumentException($"--proxy-layers must be >= 1 (got {ProxyLayers})");
        if (SequenceAlpha is < 0 or >= 1) throw new ArgumentException($"--sequence-alpha must be in [0, 1) (got {SequenceAlpha})");
    }
}

/// <summary>
/// `hierarchical` (ESLM's later version): an early-exit proxy — the student's first ProxyLayers blocks, then its final
/// LayerNorm and shared head, run by training — scores each sequence by its mean token score; sequences below the
/// sequence-level VaR_β (β = SequenceAlpha) are dropped before the full forward; token-level ESLM then runs on the rest.
/// </summary>
public sealed class HierarchicalSelector(SelectionOptions options) : EslmSelector(options), IStrategy
{
    public static new StrategyDefinition Definition { get; } = new("hierarchical", "an early-exit proxy drops whole sequences, then ESLM selects tokens", o => new HierarchicalSelector(o))
    {
        Order = 60, Uses = SharedOptions.Score | SharedOptions.Alpha,
        Settings = typeof(HierarchicalSettings),
        Describe = o => $"hierarchical β={o.Get<HierarchicalSettings>().SequenceAlpha:0.##} α={o.Alpha:0.##}",
    };

    private readonly HierarchicalSettings _settings = options.Get<HierarchicalSettings>();
    private float[] _scratch = [];

    public override AuxiliaryNeeds Needs => new() { ProxyLayers = _settings.ProxyLayers };

    public override int[]? SelectSequences(in TokenStats proxyStats, int batchSize)
    {
        var tokenScores = Options.Score == ScoreKind.Entropy ? proxyStats.Entropy : proxyStats.Loss;
        int T = proxyStats.SequenceLength;
        var sequenceScores = new float[batchSize];
        for (int b = 0; b < batchSize; b++)
        {
            double sum = 0;
            for (int t = 0; t < T; t++) sum += tokenScores[b * T + t];
            sequenceScores[b] = (float)(sum / T);
        }
        if (_scratch.Length < batchSize) _scratch = new float[batchSize];
        float threshold = ValueAtRisk.Threshold(sequenceScores, _settings.SequenceAlpha, _scratch);
        var kept = new List<int>(batchSize);
        for (int b = 0; b < batchSize; b++) if (sequenceScores[b] >= threshold) kept.Add(b);
        return kept.Count == batchSize ? null : kept.ToArray();
    }
}
