using System.Text.Json;
using System.Text.Json.Nodes;

namespace Eslm.Records;

/// <summary>A periodic validation's line of metrics.jsonl ("type": "val"): mean loss over fixed validation batches.</summary>
public sealed record ValidationMetrics : MetricsLine
{
    public const string Type = "val";

    public double Loss { get; init; } = double.NaN;
    /// <summary>exp(loss): written, never read back (it follows from the loss).</summary>
    public double Perplexity => Math.Exp(Loss);
    public long Tokens { get; init; }

    public override void WriteTo(Utf8JsonWriter w)
    {
        w.WriteString("type", Type);
        w.WriteNumber("step", Step);
        Number(w, "val_loss", Loss);
        Number(w, "val_ppl", Perplexity);
        w.WriteNumber("val_tokens", Tokens);
        WriteTotals(w);
    }

    public static ValidationMetrics From(JsonObject o) =>
        new ValidationMetrics { Loss = Num(o, "val_loss"), Tokens = (long?)o["val_tokens"] ?? 0 }.WithCommon<ValidationMetrics>(o);
}
