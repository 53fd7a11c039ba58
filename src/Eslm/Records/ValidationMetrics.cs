using System.Text.Json;
using System.Text.Json.Nodes;

namespace Eslm.Records;

/// <summary>
/// A periodic validation's line of metrics.jsonl ("type": "val"): mean loss over a fixed validation sample, windows
/// spread over the whole split (Eslm.Data.ValidationSample), the same at every point of every arm.
/// </summary>
public sealed record ValidationMetrics : MetricsLine
{
    public const string Type = "val";

    public double Loss { get; init; } = double.NaN;
    /// <summary>exp(loss): written, never read back (it follows from the loss).</summary>
    public double Perplexity => Math.Exp(Loss);
    /// <summary>"val_tokens": predictions the loss is the mean of (the sample's distinct targets).</summary>
    public long Tokens { get; init; }
    /// <summary>
    /// "val_split_tokens": targets in the whole split the sample is drawn from (equal to <see cref="Tokens"/> when the
    /// sample is the whole split); absent when the data are not a split (random tokens) and in runs before issue 14.
    /// </summary>
    public long? SplitTokens { get; init; }

    public override void WriteTo(Utf8JsonWriter w)
    {
        w.WriteString("type", Type);
        w.WriteNumber("step", Step);
        Number(w, "val_loss", Loss);
        Number(w, "val_ppl", Perplexity);
        w.WriteNumber("val_tokens", Tokens);
        if (SplitTokens is { } split) w.WriteNumber("val_split_tokens", split);
        WriteTotals(w);
    }

    public static ValidationMetrics From(JsonObject o) =>
        new ValidationMetrics { Loss = Num(o, "val_loss"), Tokens = (long?)o["val_tokens"] ?? 0, SplitTokens = (long?)o["val_split_tokens"] }
            .WithCommon<ValidationMetrics>(o);
}
