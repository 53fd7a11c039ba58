using System.Text.Json;
using System.Text.Json.Nodes;

namespace Eslm.Records;

/// <summary>A training step's line of metrics.jsonl ("type": "train").</summary>
public sealed record TrainMetrics : MetricsLine
{
    public const string Type = "train";

    public double Loss { get; init; } = double.NaN;
    public double LearningRate { get; init; } = double.NaN;
    public double GradientNorm { get; init; } = double.NaN;
    public double TokensPerSecond { get; init; } = double.NaN;
    /// <summary>Step time, written twice (ms_per_step and step_ms) as the file always had it.</summary>
    public double Milliseconds { get; init; } = double.NaN;
    public string Strategy { get; init; } = "";
    public double Alpha { get; init; } = double.NaN;
    public double Threshold { get; init; } = double.NaN;
    public double KeptFraction { get; init; } = double.NaN;
    public double LossAll { get; init; } = double.NaN;
    public double LossKept { get; init; } = double.NaN;
    public double Cvar { get; init; } = double.NaN;
    public double FlopsAccounted { get; init; } = double.NaN;
    public double FlopsExecuted { get; init; } = double.NaN;
    /// <summary>GEMM operand precision when not fp32 ("bf16"); absent from fp32 lines, so their format is unchanged.</summary>
    public string? Precision { get; init; }

    public override void WriteTo(Utf8JsonWriter w)
    {
        w.WriteString("type", Type);
        w.WriteNumber("step", Step);
        Number(w, "loss", Loss);
        Number(w, "lr", LearningRate);
        Number(w, "grad_norm", GradientNorm);
        Number(w, "tokens_per_s", TokensPerSecond);
        Number(w, "ms_per_step", Milliseconds);
        w.WriteString("strategy", Strategy);
        Number(w, "alpha", Alpha);
        Number(w, "threshold", Threshold);
        Number(w, "kept_fraction", KeptFraction);
        Number(w, "loss_all", LossAll);
        Number(w, "loss_kept", LossKept);
        Number(w, "cvar", Cvar);
        Number(w, "flops_accounted", FlopsAccounted);
        Number(w, "flops_executed", FlopsExecuted);
        Number(w, "step_ms", Milliseconds);
        if (Precision is not null) w.WriteString("precision", Precision);
        WriteTotals(w);
    }

    public static TrainMetrics From(JsonObject o) => new TrainMetrics
    {
        Loss = Num(o, "loss"),
        LearningRate = Num(o, "lr"),
        GradientNorm = Num(o, "grad_norm"),
        TokensPerSecond = Num(o, "tokens_per_s"),
        Milliseconds = Num(o, "ms_per_step"),
        Strategy = (string?)o["strategy"] ?? "",
        Alpha = Num(o, "alpha"),
        Threshold = Num(o, "threshold"),
        KeptFraction = Num(o, "kept_fraction"),
        LossAll = Num(o, "loss_all"),
        LossKept = Num(o, "loss_kept"),
        Cvar = Num(o, "cvar"),
        FlopsAccounted = Num(o, "flops_accounted"),
        FlopsExecuted = Num(o, "flops_executed"),
        Precision = (string?)o["precision"],
    }.WithCommon<TrainMetrics>(o);
}
