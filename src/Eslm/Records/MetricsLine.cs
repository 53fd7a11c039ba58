using System.Text.Json;
using System.Text.Json.Nodes;

namespace Eslm.Records;

/// <summary>
/// One line of a run's metrics.jsonl: a training step (<see cref="TrainMetrics"/>) or a periodic validation
/// (<see cref="ValidationMetrics"/>). The JSON keys are spelt here once, for the writer (Training's MetricsWriter) and
/// the reader (the experiment report), so neither re-spells them as string literals. Non-finite numbers are written
/// as null and read back as NaN; a missing key also reads as NaN.
/// </summary>
public abstract record MetricsLine
{
    /// <summary>The file name inside a run directory.</summary>
    public const string FileName = "metrics.jsonl";
    /// <summary>The gzip copy of a finished run's log, what a committed study keeps (Experiments.CommittedRuns).</summary>
    public const string CompressedFileName = FileName + ".gz";

    /// <summary>
    /// Train lines: the 0-based index of the step just taken. Validation lines: the number of steps completed (as in
    /// checkpoint names). So val step s + 1 follows train step s; docs/formats.md, "step numbers".
    /// </summary>
    public int Step { get; init; }

    /// <summary>Running totals since the run started (restored on resume).</summary>
    public double TotalFlopsAccounted { get; init; } = double.NaN;
    public double TotalFlopsExecuted { get; init; } = double.NaN;
    public double TotalSeconds { get; init; } = double.NaN;

    /// <summary>Writes the line's object (keys in file order); the caller writes the newline.</summary>
    public abstract void WriteTo(Utf8JsonWriter w);

    /// <summary>The totals, written last on every line.</summary>
    protected void WriteTotals(Utf8JsonWriter w)
    {
        Number(w, "total_flops_accounted", TotalFlopsAccounted);
        Number(w, "total_flops_executed", TotalFlopsExecuted);
        Number(w, "total_seconds", TotalSeconds);
    }

    protected static void Number(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, value);
        else w.WriteNull(name);
    }

    protected static double Num(JsonObject o, string name) => o[name] switch
    {
        null => double.NaN,
        var n when n.GetValueKind() == JsonValueKind.Number => n.GetValue<double>(),
        var n => throw new InvalidDataException($"\"{name}\" must be a number or null (got {n.GetValueKind().ToString().ToLowerInvariant()})"),
    };

    /// <summary>One line's object: "type": "val" is a validation line, anything else a training step (as always read).</summary>
    public static MetricsLine Parse(JsonObject o) =>
        (string?)o["type"] == ValidationMetrics.Type ? ValidationMetrics.From(o) : TrainMetrics.From(o);

    /// <summary>
    /// Every line of a metrics file (metrics.jsonl, or its committed gzip copy metrics.jsonl.gz). Blank lines and a torn
    /// last line (a run killed mid-write, or a log read while it is written) are skipped; a line that is not a JSON object
    /// anywhere else, or a field of the wrong JSON type, is an error naming the file and line: a damaged log must not
    /// read as a shorter or different curve.
    /// </summary>
    public static IEnumerable<MetricsLine> ReadFile(string path) => ReadEntries(path).Select(e => e.Line);

    /// <summary><see cref="ReadFile"/>, each line with its text (for a rewrite that keeps lines byte for byte).</summary>
    public static IEnumerable<(MetricsLine Line, string Text)> ReadEntries(string path)
    {
        int number = 0;
        (int Line, string Problem)? torn = null; // held until a later line shows it was not the last
        foreach (var line in ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            if (torn is { } t) throw new InvalidDataException($"{path}:{t.Line}: {t.Problem}");
            JsonNode? node;
            try { node = JsonNode.Parse(line); }
            catch (JsonException e) { torn = (number, $"not JSON ({e.Message.Split(". ")[0]}); the file is damaged"); continue; }
            if (node is not JsonObject o) { torn = (number, "not a JSON object; the file is damaged"); continue; }
            MetricsLine parsed;
            try { parsed = Parse(o); }
            catch (Exception e) when (e is InvalidDataException or InvalidOperationException or FormatException)
            { throw new InvalidDataException($"{path}:{number}: {e.Message}"); }
            yield return (parsed, line);
        }
    }

    /// <summary>
    /// The lines of a log, plain or gzipped (by the <c>.gz</c> extension). A gzipped log is decompressed whole and checked
    /// against its trailer (<see cref="Eslm.IO.GzipTrailer"/>): a cut committed log is an error naming it, never a shorter curve.
    /// </summary>
    public static IEnumerable<string> ReadLines(string path)
    {
        if (!path.EndsWith(".gz", StringComparison.Ordinal)) return File.ReadLines(path);
        byte[] text = Eslm.IO.GzipTrailer.Decompress(File.ReadAllBytes(path), path);
        return Lines(text);

        static IEnumerable<string> Lines(byte[] text)
        {
            using var reader = new StreamReader(new MemoryStream(text));
            while (reader.ReadLine() is { } line) yield return line;
        }
    }

    /// <summary>This line with the keys every line has (step and the totals) read from <paramref name="o"/>.</summary>
    protected T WithCommon<T>(JsonObject o) where T : MetricsLine => (T)(this with
    {
        Step = (int?)o["step"] ?? 0,
        TotalFlopsAccounted = Num(o, "total_flops_accounted"),
        TotalFlopsExecuted = Num(o, "total_flops_executed"),
        TotalSeconds = Num(o, "total_seconds"),
    });
}
