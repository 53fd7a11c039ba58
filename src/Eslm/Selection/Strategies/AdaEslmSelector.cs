using System.Text.Json.Nodes;

namespace Eslm.Selection.Strategies;

/// <summary>How Ada-ESLM moves α.</summary>
public enum AdaRule { Schedule, Ratio }

/// <summary>Ada-ESLM's settings (defaults here are the only ones).</summary>
public sealed record AdaEslmSettings : IStrategySettings
{
    [Setting("ada-eslm rule: schedule or ratio")]
    public AdaRule AdaRule { get; init; } = AdaRule.Schedule;
    [Setting("ada-eslm schedule: α at the first step (after any --ada-warmup)")]
    public double AlphaStart { get; init; } = 0.2;
    [Setting("ada-eslm schedule: α at the last step")]
    public double AlphaEnd { get; init; } = 0.6;
    [Setting("ada-eslm schedule shape: linear or cosine")]
    public string AdaSchedule { get; init; } = "linear";
    // Omitted from run.json at 0: runs recorded before the warm start existed keep their exact run.json.
    [Setting("ada-eslm schedule: fraction of the run in [0,1) at α = 0 (plain CLM) before the schedule")]
    public double AdaWarmup { get; init; } = 0;
    [Setting("ada-eslm ratio rule: target (kept loss)/(all loss)")]
    public double AdaTargetRatio { get; init; } = 1.3;
    [Setting("ada-eslm ratio rule: α step per unit of ratio error")]
    public double AdaRate { get; init; } = 0.05;
    [Setting("ada-eslm ratio rule: lowest α")]
    public double AlphaMin { get; init; } = 0.1;
    [Setting("ada-eslm ratio rule: highest α")]
    public double AlphaMax { get; init; } = 0.9;

    /// <summary>Choice values are case-insensitive everywhere (docs/cli-rules.md): "COSINE" is read as "cosine".</summary>
    public IStrategySettings Resolved() => this with { AdaSchedule = AdaSchedule.ToLowerInvariant() };

    public void Validate(bool selected)
    {
        if (AlphaStart is < 0 or >= 1 || AlphaEnd is < 0 or >= 1) throw new ArgumentException("--alpha-start and --alpha-end must be in [0, 1)");
        if (AlphaMin is < 0 or >= 1 || AlphaMax is < 0 or >= 1 || AlphaMin > AlphaMax)
            throw new ArgumentException($"need 0 <= --alpha-min <= --alpha-max < 1 (got {AlphaMin}, {AlphaMax})");
        if (AdaSchedule is not ("linear" or "cosine")) throw new ArgumentException($"--ada-schedule must be linear or cosine (got {AdaSchedule})");
        if (AdaWarmup is < 0 or >= 1 || double.IsNaN(AdaWarmup)) throw new ArgumentException($"--ada-warmup must be in [0, 1) (got {AdaWarmup})");
        // The ratio rule has no run-long plan to delay; a warm start there would be an ignored option.
        if (AdaWarmup != 0 && AdaRule == AdaRule.Ratio)
            throw new ArgumentException($"--ada-warmup {AdaWarmup} needs --ada-rule schedule (the ratio rule has no warm start)");
        if (AdaRate < 0) throw new ArgumentException($"--ada-rate must be >= 0 (got {AdaRate})");
        if (!(AdaTargetRatio > 0)) throw new ArgumentException($"--ada-target-ratio must be > 0 (got {AdaTargetRatio})");
    }
}

/// <summary>
/// `ada-eslm`: ESLM whose α changes during training. The paper does not publish its rule, so two documented rules exist:
/// <list type="bullet">
/// <item><c>schedule</c>: α goes from AlphaStart to AlphaEnd over the run, linearly or along a half cosine. With a warm
/// start (AdaWarmup w &gt; 0) α is 0 — every token kept, plain CLM — while progress &lt; w, and the schedule runs over the rest.</item>
/// <item><c>ratio</c>: feedback holding r = (mean kept loss)/(mean all-token loss) near a target:
/// α ← clamp(α + rate·(target − r), AlphaMin, AlphaMax). Raising α keeps fewer, harder tokens, which raises r.</item>
/// </list>
/// α is logged every step and saved in checkpoints.
/// </summary>
public sealed class AdaEslmSelector : EslmSelector, IStrategy
{
    public static new StrategyDefinition Definition { get; } = new("ada-eslm", "ESLM with α adapted during training (a schedule or a feedback rule)", o => new AdaEslmSelector(o))
    {
        Order = 30, Uses = SharedOptions.Score | SharedOptions.Alpha,
        Settings = typeof(AdaEslmSettings),
        Describe = o => o.Get<AdaEslmSettings>() is var s
            ? $"ada-eslm {s.AdaRule.ToString().ToLowerInvariant()} α {s.AlphaStart:0.##}→{s.AlphaEnd:0.##}" + (s.AdaWarmup > 0 ? $", warm {s.AdaWarmup:0.##}" : "")
            : "",
    };

    private readonly AdaEslmSettings _settings;
    private double _alpha;

    public AdaEslmSelector(SelectionOptions options) : base(options)
    {
        _settings = options.Get<AdaEslmSettings>();
        _alpha = _settings.AdaRule == AdaRule.Schedule ? (_settings.AdaWarmup > 0 ? 0 : _settings.AlphaStart) : Math.Clamp(options.Alpha, _settings.AlphaMin, _settings.AlphaMax);
    }

    public override double Alpha => _alpha;

    /// <summary>
    /// Schedule value at a 0-based step of a run of <paramref name="totalSteps"/> steps: 0 while progress p = step/(S−1)
    /// is below the warm-up fraction w, then AlphaStart → AlphaEnd along the shape of (p − w)/(1 − w).
    /// With w = 0 that is p itself, so runs without a warm start are bit-identical to before.
    /// </summary>
    public static double Scheduled(AdaEslmSettings s, int step, int totalSteps)
    {
        double progress = totalSteps <= 1 ? 1 : Math.Clamp((double)step / (totalSteps - 1), 0, 1);
        if (progress < s.AdaWarmup) return 0; // exactly 0: VaR_0 is −∞, so every token is kept (ValueAtRisk)
        double after = (progress - s.AdaWarmup) / (1 - s.AdaWarmup);
        double shape = s.AdaSchedule == "cosine" ? 0.5 * (1 - Math.Cos(Math.PI * after)) : after;
        return s.AlphaStart + (s.AlphaEnd - s.AlphaStart) * shape;
    }

    public override void AfterStep(SelectionStepStats stats, int step, int totalSteps)
    {
        if (_settings.AdaRule == AdaRule.Schedule) { _alpha = Scheduled(_settings, step + 1, totalSteps); return; }
        if (!(stats.LossAll > 0) || double.IsNaN(stats.LossKept)) return;
        double ratio = stats.LossKept / stats.LossAll;
        _alpha = Math.Clamp(_alpha + _settings.AdaRate * (_settings.AdaTargetRatio - ratio), _settings.AlphaMin, _settings.AlphaMax);
    }

    public override JsonObject SaveState() => new() { ["alpha"] = _alpha };

    public override void RestoreState(JsonObject state)
    {
        if (state["alpha"] is JsonNode a) _alpha = a.GetValue<double>();
    }
}
