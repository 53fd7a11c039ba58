using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Eslm.Experiments;
using Eslm.Records;

namespace Eslm.Reporting;

/// <summary>
/// Rebuilds an experiment's report from its directory alone (experiment.json, each run's metrics.jsonl and eval.json):
/// report.md with a table per arm (mean ± std over seeds, deltas against clm) and PNG plots in plots/.
/// </summary>
public static class ExperimentReport
{
    public const string ReportFile = "report.md", PlotFolder = "plots";

    public static readonly string[] PlotFiles =
        ["val_loss_vs_steps.png", "val_loss_vs_flops.png", "val_loss_vs_wall.png", "kept_fraction.png", "alpha.png"];

    /// <summary>One arm × seed as read back from disk.</summary>
    public sealed class RunLog
    {
        public required string Arm { get; init; }
        public required ulong Seed { get; init; }
        public required string Strategy { get; init; }
        public List<TrainMetrics> Train { get; } = new();
        public List<ValidationMetrics> Validation { get; } = new();
        public JsonObject? Eval { get; set; }
        public bool Finished => Eval is not null;
    }

    public static List<RunLog> ReadRuns(string directory, ExperimentSpec spec)
    {
        var runs = new List<RunLog>();
        foreach (var arm in spec.Arms)
            foreach (ulong seed in spec.Seeds)
            {
                string dir = ExperimentRunner.SeedDirectory(directory, arm.Name, seed);
                var run = new RunLog { Arm = arm.Name, Seed = seed, Strategy = arm.Selection.Strategy };
                string metrics = Path.Combine(dir, MetricsLine.FileName);
                if (File.Exists(metrics))
                    foreach (var line in MetricsLine.ReadFile(metrics))
                        if (line is ValidationMetrics v) run.Validation.Add(v); else run.Train.Add((TrainMetrics)line);
                string eval = Path.Combine(dir, ExperimentRunner.EvalFile);
                if (File.Exists(eval)) run.Eval = JsonNode.Parse(File.ReadAllText(eval)) as JsonObject;
                if (run.Train.Count > 0 || run.Finished) runs.Add(run);
            }
        return runs;
    }

    /// <summary>Writes report.md and the plots; returns the report's path.</summary>
    public static string Write(string directory)
    {
        string specPath = Path.Combine(directory, ExperimentRunner.SpecFile);
        if (!File.Exists(specPath)) throw new FileNotFoundException($"{directory}: no {ExperimentRunner.SpecFile} (not an experiment directory)");
        var spec = ExperimentSpec.Parse(JsonNode.Parse(File.ReadAllText(specPath)) as JsonObject
                                        ?? throw new InvalidDataException($"{specPath}: expected a JSON object"));
        var runs = ReadRuns(directory, spec);
        WritePlots(Path.Combine(directory, PlotFolder), spec, runs);
        string path = Path.Combine(directory, ReportFile);
        ExperimentRunner.AtomicWrite(path, Markdown(spec, runs));
        return path;
    }

    // ---- numbers per run ----

    private static double Num(JsonNode? n) => n is null ? double.NaN : n.GetValue<double>();

    private static JsonObject? EvalSet(RunLog r, bool inDomain) =>
        (r.Eval?["eval"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(e => (string?)e["domain"] == (inDomain ? "in" : "out"));

    private static JsonObject? Task(RunLog r, string task) =>
        (r.Eval?["tasks"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(e => (string?)e["task"] == task);

    private static double Last(RunLog r, Func<TrainMetrics, double> value) => r.Train.Count == 0 ? double.NaN : value(r.Train[^1]);

    private static double MeanOf(RunLog r, Func<TrainMetrics, double> value)
    {
        var values = r.Train.Select(value).Where(double.IsFinite).ToList();
        return values.Count == 0 ? double.NaN : values.Average();
    }

    private static double WorstDomain(RunLog r) =>
        (r.Eval?["eval"] as JsonArray)?.OfType<JsonObject>().Select(e => Num(e["worst_domain_loss"])).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max() ?? double.NaN;

    private sealed record Column(string Header, Func<RunLog, double> Value, string Format, bool Delta = false, bool LowerIsBetter = true);

    private static readonly Column[] Columns =
    [
        new("val loss (in)", r => Num(EvalSet(r, true)?["loss"]), "F4", Delta: true),
        new("ppl (in)", r => Num(EvalSet(r, true)?["ppl"]), "F2"),
        new("val loss (out)", r => Num(EvalSet(r, false)?["loss"]), "F4", Delta: true),
        new("ppl (out)", r => Num(EvalSet(r, false)?["ppl"]), "F2"),
        new("worst-domain loss", WorstDomain, "F4", Delta: true),
        new("doc CVaR₀.₉ (in)", r => Num(EvalSet(r, true)?["doc_cvar90"]), "F4"),
        new("acc", r => Num(Task(r, "hellaswag")?["acc"]), "F3"),
        new("acc_norm", r => Num(Task(r, "hellaswag")?["acc_norm"]), "F3", Delta: true, LowerIsBetter: false),
        new("cloze acc", r => Num(Task(r, "cloze")?["acc"]), "F3"),
        new("accounted FLOPs", r => Last(r, t => t.TotalFlopsAccounted), "E2"),
        new("executed FLOPs", r => Last(r, t => t.TotalFlopsExecuted), "E2"),
        new("wall s", r => Last(r, t => t.TotalSeconds), "F1"),
        new("steps", r => Last(r, t => t.Step + 1), "F0"),
        new("kept", r => MeanOf(r, t => t.KeptFraction), "F3"),
    ];

    private static (double Mean, double Std, int N) Stats(IEnumerable<double> values)
    {
        var v = values.Where(double.IsFinite).ToList();
        if (v.Count == 0) return (double.NaN, double.NaN, 0);
        double mean = v.Average();
        double std = v.Count > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Count - 1)) : 0;
        return (mean, std, v.Count);
    }

    private static string F(double v, string format) =>
        !double.IsFinite(v) ? "–" : format == "E2" ? v.ToString("0.00e+0", CultureInfo.InvariantCulture) : v.ToString(format, CultureInfo.InvariantCulture);

    public static string Markdown(ExperimentSpec spec, List<RunLog> runs)
    {
        var md = new StringBuilder();
        md.AppendLine($"# Experiment `{spec.Name}`").AppendLine();
        if (spec.Description.Length > 0) md.AppendLine(spec.Description).AppendLine();
        md.AppendLine($"Model {spec.ModelName} ({spec.Model}); B={spec.Train.BatchSize}, T={spec.Train.SequenceLength}, " +
                      $"grad accum {spec.Train.GradientAccumulation}, lr {spec.Train.LearningRate.ToString(CultureInfo.InvariantCulture)}; " +
                      $"data `{spec.Data}`; budget **{spec.Budget.Name} = {spec.Budget.Value.ToString("G4", CultureInfo.InvariantCulture)}** per arm " +
                      $"(learning-rate schedule over {spec.NominalSteps} nominal steps{(spec.Budget.Kind == BudgetKind.Steps ? "" : ", stretched to each arm's budget")}); " +
                      $"seeds {string.Join(", ", spec.Seeds)}. Every arm sees the same data order and initial weights per seed. " +
                      "Validation losses are means over **all** tokens of the whole validation split (never selection).").AppendLine();
        var inSet = spec.Eval.FirstOrDefault(e => e.InDomain);
        var outSet = spec.Eval.FirstOrDefault(e => !e.InDomain);
        md.AppendLine($"In-domain: {(inSet is null ? "–" : $"`{inSet.Name}` ({inSet.Data})")}; out-of-domain: {(outSet is null ? "–" : $"`{outSet.Name}` ({outSet.Data})")}." +
                      (spec.Tasks.Count > 0 ? $" Tasks: {string.Join(", ", spec.Tasks.Select(t => $"{t.Task} `{t.File}`"))}." : "")).AppendLine();

        string? baseline = spec.Arms.FirstOrDefault(a => a.Name == "clm")?.Name ?? spec.Arms.FirstOrDefault(a => a.Selection.Strategy == "clm")?.Name;
        var columns = Columns.Where(c => runs.Any(r => double.IsFinite(c.Value(r)))).ToList();
        md.Append("| arm | strategy |");
        foreach (var c in columns) md.Append($" {c.Header} |");
        if (baseline is not null) foreach (var c in columns.Where(c => c.Delta)) md.Append($" Δ {c.Header} vs {baseline} |");
        md.AppendLine();
        md.Append("|---|---|").Append(string.Concat(Enumerable.Repeat("---:|", columns.Count + (baseline is null ? 0 : columns.Count(c => c.Delta))))).AppendLine();
        var baseRuns = runs.Where(r => r.Arm == baseline && r.Finished).ToList();
        foreach (var arm in spec.Arms)
        {
            var armRuns = runs.Where(r => r.Arm == arm.Name).ToList();
            var finished = armRuns.Where(r => r.Finished).ToList();
            string status = armRuns.Count == 0 ? " (not started)" : finished.Count < spec.Seeds.Count ? $" ({finished.Count}/{spec.Seeds.Count} seeds done)" : "";
            md.Append($"| **{arm.Name}**{status} | {arm.Describe()} |");
            var use = finished.Count > 0 ? finished : armRuns;
            foreach (var c in columns)
            {
                var (mean, std, n) = Stats(use.Select(c.Value));
                md.Append(' ').Append(F(mean, c.Format)).Append(n > 1 ? " ± " + F(std, c.Format) : "").Append(" |");
            }
            if (baseline is not null)
                foreach (var c in columns.Where(c => c.Delta))
                {
                    var (mean, _, _) = Stats(finished.Select(c.Value));
                    var (b, _, _) = Stats(baseRuns.Select(c.Value));
                    double d = mean - b;
                    bool better = c.LowerIsBetter ? d < 0 : d > 0;
                    md.Append(arm.Name == baseline || !double.IsFinite(d) ? " – |" : $" {(d >= 0 ? "+" : "")}{F(d, c.Format)}{(better ? " ✓" : "")} |");
                }
            md.AppendLine();
        }
        md.AppendLine();
        md.AppendLine("Losses in nats per token (lower is better); ± is the standard deviation over seeds. `kept` is the mean fraction of tokens " +
                      "back-propagated per step; accounted FLOPs follow the papers (2·N per token forward + 4·N per kept token backward + auxiliary forwards), " +
                      "executed FLOPs are what our GEMMs did; wall s is training time only (no evaluation). ✓ marks an improvement over the baseline.").AppendLine();

        foreach (var set in spec.Eval)
        {
            md.AppendLine($"## `{set.Name}` ({(set.InDomain ? "in-domain" : "out-of-domain")}, {set.Data})").AppendLine();
            var sets = runs.Where(r => r.Finished).Select(r => (Run: r, Set: (r.Eval!["eval"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(e => (string?)e["name"] == set.Name)))
                .Where(x => x.Set is not null).ToList();
            if (sets.Count == 0) { md.AppendLine("No finished runs yet.").AppendLine(); continue; }
            var domains = sets.SelectMany(x => (x.Set!["domains"] as JsonArray)!.OfType<JsonObject>().Select(d => (string)d["domain"]!)).Distinct().OrderBy(d => d, StringComparer.Ordinal).ToList();
            md.Append("| arm | tokens | loss | ppl | bits/byte | doc CVaR₀.₉ |");
            foreach (var d in domains) md.Append($" {d} |");
            md.AppendLine().Append("|---|---:|---:|---:|---:|---:|").Append(string.Concat(Enumerable.Repeat("---:|", domains.Count))).AppendLine();
            foreach (var arm in spec.Arms)
            {
                var mine = sets.Where(x => x.Run.Arm == arm.Name).Select(x => x.Set!).ToList();
                if (mine.Count == 0) continue;
                string Cell(Func<JsonObject, double> f, string fmt) { var (m, s, n) = Stats(mine.Select(f)); return F(m, fmt) + (n > 1 ? " ± " + F(s, fmt) : ""); }
                md.Append($"| {arm.Name} | {Num(mine[0]["tokens"]):F0} | {Cell(o => Num(o["loss"]), "F4")} | {Cell(o => Num(o["ppl"]), "F2")} | " +
                          $"{Cell(o => Num(o["bits_per_byte"]), "F4")} | {Cell(o => Num(o["doc_cvar90"]), "F4")} |");
                foreach (var d in domains)
                    md.Append(' ').Append(Cell(o => Num((o["domains"] as JsonArray)!.OfType<JsonObject>().FirstOrDefault(x => (string?)x["domain"] == d)?["loss"]), "F4")).Append(" |");
                md.AppendLine();
            }
            md.AppendLine();
        }

        md.AppendLine("## Plots").AppendLine();
        md.AppendLine($"The curves are the periodic validation during training: the mean loss over the first {spec.ValidationBatches} fixed " +
                      "batches of the training dataset's validation split (the same batches for every arm and every point), so their " +
                      "level can differ from the whole-split figures in the tables above.").AppendLine();
        foreach (var (file, caption) in PlotFiles.Zip(new[] { "Validation loss against steps", "Validation loss against accounted FLOPs",
                     "Validation loss against wall-clock training time", "Fraction of tokens kept per step", "α (risk level) per step" }))
            md.AppendLine($"![{caption}]({PlotFolder}/{file})").AppendLine();
        md.AppendLine($"_Rebuild with `eslm experiment report DIR`; generated {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC._");
        return md.ToString();
    }

    private static void WritePlots(string folder, ExperimentSpec spec, List<RunLog> runs)
    {
        int Colour(string arm) => spec.Arms.ToList().FindIndex(a => a.Name == arm);
        IEnumerable<PlotSeries> Val(Func<ValidationMetrics, double> x, double scale = 1) => runs.Select(r => new PlotSeries(r.Arm, Colour(r.Arm),
            r.Validation.Select(v => x(v) / scale).ToArray(), r.Validation.Select(v => v.Loss).ToArray()));
        double maxFlops = runs.SelectMany(r => r.Validation).Select(v => v.TotalFlopsAccounted).Where(double.IsFinite).DefaultIfEmpty(1).Max();
        var (scale, unit) = maxFlops >= 1e15 ? (1e15, "PFLOP") : maxFlops >= 1e12 ? (1e12, "TFLOP") : (1e9, "GFLOP");
        Plots.Line(Path.Combine(folder, PlotFiles[0]), $"{spec.Name}: validation loss vs steps", "optimizer step", "val loss (nats/token)", Val(v => v.Step));
        Plots.Line(Path.Combine(folder, PlotFiles[1]), $"{spec.Name}: validation loss vs accounted FLOPs", $"accounted training compute ({unit})",
            "val loss (nats/token)", Val(v => v.TotalFlopsAccounted, scale));
        Plots.Line(Path.Combine(folder, PlotFiles[2]), $"{spec.Name}: validation loss vs wall-clock", "training time (s)", "val loss (nats/token)",
            Val(v => v.TotalSeconds));
        IEnumerable<PlotSeries> TrainSeries(Func<TrainMetrics, double> value) => runs.Select(r =>
        {
            var xs = r.Train.Select(t => (double)t.Step).ToArray();
            var ys = Plots.Smooth(r.Train.Select(value).ToList(), Math.Max(1, r.Train.Count / 40));
            var keep = Enumerable.Range(0, xs.Length).Where(i => double.IsFinite(ys[i])).ToArray();
            return new PlotSeries(r.Arm, Colour(r.Arm), keep.Select(i => xs[i]).ToArray(), keep.Select(i => ys[i]).ToArray());
        });
        Plots.Line(Path.Combine(folder, PlotFiles[3]), $"{spec.Name}: kept fraction per step (moving average)", "optimizer step", "fraction of tokens kept",
            TrainSeries(t => t.KeptFraction), markers: false);
        Plots.Line(Path.Combine(folder, PlotFiles[4]), $"{spec.Name}: α per step", "optimizer step", "α", TrainSeries(t => t.Alpha), markers: false);
    }
}
