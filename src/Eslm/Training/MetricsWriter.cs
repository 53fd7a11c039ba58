using System.Text.Json;
using Eslm.Records;
using Eslm.Tensors;

namespace Eslm.Training;

/// <summary>
/// Appends one JSON object per line to a metrics file (JSONL, as nanoGPT/llm.c users tail and plot). Each line is
/// flushed, so a killed run keeps everything up to its last step. What a line holds, and its keys, is the typed record
/// (<see cref="MetricsLine"/>), which the report reads back.
/// </summary>
public sealed class MetricsWriter : IDisposable
{
    private readonly FileStream _stream;
    private readonly Utf8JsonWriter _json;

    public MetricsWriter(string path, bool append)
    {
        Path = path;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        _stream = new FileStream(path, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.Read);
        _json = new Utf8JsonWriter(_stream);
    }

    public string Path { get; }

    public void WriteStep(StepResult r, Trainer trainer)
    {
        var s = r.Selection;
        Write(WithTotals(new TrainMetrics
        {
            Step = r.Step, Loss = r.Loss, LearningRate = r.LearningRate, GradientNorm = r.GradientNorm,
            TokensPerSecond = r.TokensPerSecond, Milliseconds = r.Milliseconds, Strategy = r.Strategy,
            Alpha = s.Alpha, Threshold = s.Threshold, KeptFraction = s.KeptFraction, LossAll = s.LossAll, LossKept = s.LossKept,
            Cvar = s.Cvar, FlopsAccounted = s.FlopsAccounted, FlopsExecuted = r.FlopsExecuted,
            Precision = trainer.Options.Precision == Precision.Fp32 ? null : trainer.Options.Precision.Name(),
        }, trainer));
    }

    public void WriteValidation(int step, ValidationResult v, Trainer trainer) =>
        Write(WithTotals(new ValidationMetrics { Step = step, Loss = v.Loss, Tokens = v.Tokens, SplitTokens = v.SplitTokens }, trainer));

    public void Write(MetricsLine line) => Write(line.WriteTo);

    private void Write(Action<Utf8JsonWriter> body)
    {
        _json.Reset();
        _json.WriteStartObject();
        body(_json);
        _json.WriteEndObject();
        _json.Flush();
        _stream.WriteByte((byte)'\n');
        _stream.Flush();
    }

    /// <summary>Running totals since the run started (restored on resume).</summary>
    private static T WithTotals<T>(T line, Trainer trainer) where T : MetricsLine => (T)((MetricsLine)line with
    {
        TotalFlopsAccounted = trainer.TotalFlopsAccounted,
        TotalFlopsExecuted = trainer.TotalFlopsExecuted,
        TotalSeconds = trainer.TotalMilliseconds / 1000.0,
    });

    public void Dispose()
    {
        _json.Dispose();
        _stream.Dispose();
    }
}
