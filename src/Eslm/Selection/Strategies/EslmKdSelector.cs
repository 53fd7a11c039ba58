namespace Eslm.Selection.Strategies;

/// <summary>What ESLM-KD ranks tokens by.</summary>
public enum KdScore { TeacherEntropy, TeacherLoss, Kl }

/// <summary>ESLM-KD's settings: the teacher, the score and the distillation term.</summary>
public sealed record EslmKdSettings : IStrategySettings
{
    [Setting("eslm-kd: teacher checkpoint (or preset:NAME)", IsPath = true)]
    public string? Teacher { get; init; }
    [Setting("eslm-kd score: teacher-entropy, teacher-loss or kl")]
    public KdScore KdScore { get; init; } = KdScore.TeacherEntropy;
    [Setting("eslm-kd: weight λ of the distillation term (0 = selection only)")]
    public float KdLambda { get; init; }
    [Setting("eslm-kd: distillation temperature τ")]
    public float KdTemperature { get; init; } = 1f;

    public void Validate(bool selected)
    {
        if (KdLambda < 0) throw new ArgumentException($"--kd-lambda must be >= 0 (got {KdLambda})");
        if (!(KdTemperature > 0)) throw new ArgumentException($"--kd-temperature must be > 0 (got {KdTemperature})");
        if (selected && Teacher is null) throw new ArgumentException("eslm-kd needs --teacher CKPT");
    }
}

/// <summary>
/// `eslm-kd`: a teacher (larger or better-trained model) runs on the same micro-batch and supplies the score — its
/// entropy, its loss, or the per-token KL(teacher ‖ student) — and, with λ &gt; 0, a distillation term
/// λ·τ²·KL(q_t ‖ q_s) on the kept tokens, q = softmax(logits/τ), whose head gradient training adds
/// (<see cref="AuxiliaryNeeds.Distillation"/>; the kernel is Ops/Distillation.cs).
/// </summary>
public sealed class EslmKdSelector(SelectionOptions options) : TokenSelector(options), IStrategy
{
    public static StrategyDefinition Definition { get; } = new("eslm-kd", "a teacher's entropy, loss or KL picks the tokens; optional distillation", o => new EslmKdSelector(o))
    {
        Order = 50, Uses = SharedOptions.Alpha,
        Settings = typeof(EslmKdSettings),
        Describe = o => o.Get<EslmKdSettings>() is var s ? $"eslm-kd {s.KdScore} λ={s.KdLambda:0.##}" : "",
    };

    private readonly EslmKdSettings _settings = options.Get<EslmKdSettings>();

    public override AuxiliaryNeeds Needs => new()
    {
        TeacherModel = _settings.Teacher,
        TeacherKl = _settings.KdScore == KdScore.Kl,
        Distillation = _settings.KdLambda > 0 ? new Distillation(_settings.KdLambda, _settings.KdTemperature) : null,
    };

    public override void Score(in TokenStats stats, Span<float> scores)
    {
        var source = _settings.KdScore switch
        {
            KdScore.TeacherEntropy => stats.TeacherEntropy,
            KdScore.TeacherLoss => stats.TeacherLoss,
            _ => stats.TeacherKl,
        };
        source[..scores.Length].CopyTo(scores);
    }
}
