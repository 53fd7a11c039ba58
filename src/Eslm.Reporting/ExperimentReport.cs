using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Eslm.Experiments;
using Eslm.IO;

namespace Eslm.Reporting;

/// <summary>
/// Rebuilds an experiment's report from its directory alone (experiment.json, each run's metrics.jsonl and eval.json):
/// report.md with, per grid point, a table per arm (mean ± 95% interval over seeds, paired differences to clm), the
/// trend over budgets with a verdict table when the experiment has several budgets or models, PNG plots in plots/, and
/// the same numbers as summary.json.
/// </summary>
public static class ExperimentReport
{
    public const string ReportFile = "report.md", PlotFolder = "plots";

    /// <summary>Held while a report is rebuilt (hidden, beside report.md).</summary>
    public const string LockFile = ".report.lock";

    /// <summary>The training-curve plots of one grid point (prefixed by the model's folder in a grid).</summary>
    public static readonly string[] PlotFiles =
        ["val_loss_vs_steps.png", "val_loss_vs_flops.png", "val_loss_vs_wall.png", "kept_fraction.png", "alpha.png"];

    private static readonly string[] PlotCaptions =
    [
        "Validation loss against steps", "Validation loss against accounted FLOPs", "Validation loss against wall-clock training time",
        "Fraction of tokens kept per step", "α (risk level) per step",
    ];

    public static List<RunLog> ReadRuns(string directory, ExperimentSpec spec) => RunLog.ReadAll(directory, spec);

    /// <summary>Writes report.md and the plots; returns the report's path.</summary>
    public static string Write(string directory)
    {
        string specPath = Path.Combine(directory, ExperimentRunner.SpecFile);
        if (!File.Exists(specPath)) throw new FileNotFoundException($"{directory}: no {ExperimentRunner.SpecFile} (not an experiment directory)");
        var spec = ExperimentSpec.Load(specPath);
        // Issue 21: read and write under one lock, so a rebuild that read older results can never replace a newer one.
        using var rebuild = RunLock.AcquireWaiting(Path.Combine(directory, LockFile), Path.Combine(directory, ReportFile), TimeSpan.FromMinutes(10));
        var all = ReadRuns(directory, spec);
        var runs = LearningRates.AtBestRates(spec, all); // each arm at its best rate ("lrs"), else every run
        string plots = Path.Combine(directory, PlotFolder);
        var curves = CurvePlots.Write(plots, spec, runs);
        var trends = spec.Points.Count > 1 ? TrendReport.WritePlots(plots, spec, runs) : [];
        if (spec.Points.Count > 1 && Baseline(spec) is { } baseline) trends.AddRange(MultiplierTable.WritePlots(plots, spec, runs, baseline));
        StalePlots.Remove(plots, curves.Concat(trends).Select(p => p.File));
        string path = Path.Combine(directory, ReportFile);
        ExperimentRunner.AtomicWrite(path, Markdown(spec, runs, curves, trends, all));
        ExperimentRunner.AtomicWrite(Path.Combine(directory, SummaryJson.FileName), SummaryJson.Of(spec, runs, all));
        return path;
    }

    /// <summary>The arm every other is compared with: the one named clm, else the first clm arm (null if none).</summary>
    public static string? Baseline(ExperimentSpec spec) => spec.BaselineArm?.Name;

    public static string G(double v) => Budget.Format(v);

    /// <summary>How the runs drew their training windows (train.sampling), in the words of the model line.</summary>
    private static string SamplingText(Eslm.Data.SamplingMode sampling) => sampling switch
    {
        Eslm.Data.SamplingMode.Random => "random windows (nanoGPT's, with replacement)",
        Eslm.Data.SamplingMode.Sequential => "sequential windows (llm.c's order)",
        Eslm.Data.SamplingMode.Shuffled => "shuffled windows (each once per epoch, in a seeded order)",
        _ => throw new ArgumentOutOfRangeException(nameof(sampling)),
    };

    /// <summary>Continued pretraining: what every run continues, and what the budgets count.</summary>
    private static string BaseText(BaseSpec basis, bool perModel)
    {
        var t = basis.Train;
        string reads = t.Sampling == Eslm.Data.SamplingMode.Shuffled ? ", so no window is read twice within an epoch" : "";
        return $"**Continued pretraining.** Each seed first trains {(perModel ? "each model " : "")}plain (clm) for {t.Steps} steps (lr {t.LearningRate.ToString(CultureInfo.InvariantCulture)}, " +
               $"warmup {t.WarmupSteps}, cosine floor {t.MinLearningRateFraction.ToString(CultureInfo.InvariantCulture)} of lr; `{(perModel ? "MODEL/" : "")}{BaseSpec.Folder}/seedK`); every arm " +
               $"of that {(perModel ? "model and " : "")}seed continues that run (its weights, AdamW moments and data position{reads}) with its own strategy and schedule. " +
               "Budgets and multipliers count the continuation alone; the base's cost is shared by every arm.";
    }

    /// <param name="runs">The runs compared: in an "lrs" experiment each arm at its best rate (<see cref="LearningRates.AtBestRates"/>).</param>
    /// <param name="allRates">Every run at every rate, for the learning-rate section (default: <paramref name="runs"/>).</param>
    public static string Markdown(ExperimentSpec spec, List<RunLog> runs, IReadOnlyList<(string File, string Caption)> curves,
        IReadOnlyList<(string File, string Caption)> trends, List<RunLog>? allRates = null)
    {
        var md = new StringBuilder();
        md.AppendLine($"# Experiment `{spec.Name}`").AppendLine();
        if (spec.Description.Length > 0) md.AppendLine(spec.Description).AppendLine();
        var models = spec.Points.Select(p => p.ModelName).Distinct().ToList();
        string modelText = string.Join("; ", models.Select(m => $"{m} ({spec.Points.First(p => p.ModelName == m).Model})"));
        string budgets = string.Join("; ", models.Select(m => (models.Count > 1 ? m + ": " : "") +
            string.Join(", ", spec.Points.Where(p => p.ModelName == m).Select(p => $"{G(p.Budget.Value)} ({p.NominalSteps} nominal steps{(p.BaselineOnly ? ", baseline only" : "")})"))));
        string lr = spec.LearningRates is { } rates
            ? $"lr each of {string.Join(", ", rates.Select(r => r.ToString("R", CultureInfo.InvariantCulture)))} (each arm at its best, below)"
            : $"lr {spec.Train.LearningRate.ToString(CultureInfo.InvariantCulture)}";
        md.AppendLine($"Model {modelText}; B={spec.Train.BatchSize}, T={spec.Train.SequenceLength}, " +
                      $"grad accum {spec.Train.GradientAccumulation}, {lr}; " +
                      $"data `{spec.Data}`, {SamplingText(spec.Train.Sampling)}; budget{(spec.Points.Count > 1 ? "s" : "")} **{spec.Budget.Name} = {budgets}** per arm " +
                      $"(each with its own learning-rate schedule{(spec.Budget.Kind == BudgetKind.Steps ? "" : ", stretched to each arm's budget")}); " +
                      $"seeds {string.Join(", ", spec.Seeds)}. Every arm sees the same data order and initial weights per seed. " +
                      "Validation losses are means over **all** tokens of the whole validation split (never selection).").AppendLine();
        if (spec.Base is { } basis) md.AppendLine(BaseText(basis, spec.HasModelAxis)).AppendLine();
        var inSet = spec.Eval.FirstOrDefault(e => e.InDomain);
        var outSet = spec.Eval.FirstOrDefault(e => !e.InDomain);
        md.AppendLine($"In-domain: {(inSet is null ? "–" : $"`{inSet.Name}` ({inSet.Data})")}; out-of-domain: {(outSet is null ? "–" : $"`{outSet.Name}` ({outSet.Data})")}." +
                      (spec.Tasks.Count > 0 ? $" Tasks: {string.Join(", ", spec.Tasks.Select(t => $"{t.Task} `{t.File}`"))}." : "")).AppendLine();
        md.AppendLine(spec.Seeds.Count > 1
            ? $"With {spec.Seeds.Count} seeds, ± is the 95% confidence interval of the mean (Student t over seeds); a Δ is the **paired** " +
              "difference to the baseline (same seed: same data order and initial weights), and ✓ (✗) marks it better (worse) only when its " +
              "interval excludes 0."
            : "One seed: no interval can be given, so no difference is marked as better or worse; run with `\"seeds\": [1, 2, 3]` for intervals.").AppendLine();

        StudyProgress.Markdown(md, spec, allRates ?? runs);
        StudyProgress.Machines(md, allRates ?? runs);
        if (spec.HasLearningRateAxis) LearningRates.Markdown(md, spec, allRates ?? runs);
        if (spec.Points.Count > 1) TrendReport.Markdown(md, spec, runs, trends);

        foreach (var point in spec.Points)
        {
            var here = runs.Where(r => r.Point == point).ToList();
            if (spec.Points.Count > 1)
                md.AppendLine($"## {point.Label}{(point.BaselineOnly ? $" (baseline only: {Baseline(spec)} alone, a point of its frontier for the multiplier)" : "")}").AppendLine();
            SummaryTable.Markdown(md, spec, point, here);
            SetTables(md, spec, here, collapse: spec.Points.Count > 1);
        }

        md.AppendLine("## Training curves").AppendLine();
        string size = CurvePlots.ValidationSample(runs) switch
        {
            null => "no validation points yet",
            (var sample, { } split) => $"a fixed, seeded sample of {sample:N0} of the split's {split:N0} predictions, windows spread over the whole split",
            (var sample, null) => $"{sample:N0} predictions, the whole split",
        };
        md.AppendLine($"The curves are the periodic validation during training on the training data's validation split: {size}; the same " +
                      "windows for every arm, seed and point, so the last point estimates the whole-split loss of the tables within its " +
                      "sampling error." + (spec.Points.Count > 1 ? " Shown for each model's largest budget." : "")).AppendLine();
        foreach (var (file, caption) in curves) md.AppendLine($"![{caption}]({PlotFolder}/{file})").AppendLine();
        md.AppendLine($"_Rebuild with `eslm experiment report DIR`; generated {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC._");
        return md.ToString();
    }

    /// <summary>One table per evaluation set: loss, perplexity, bits per byte, CVaR and every domain's loss.</summary>
    private static void SetTables(StringBuilder md, ExperimentSpec spec, List<RunLog> runs, bool collapse)
    {
        foreach (var set in spec.Eval)
        {
            string title = $"`{set.Name}` ({(set.InDomain ? "in-domain" : "out-of-domain")}, {set.Data})";
            var sets = runs.Where(r => r.Finished).Select(r => (Run: r, Set: r.EvalSetNamed(set.Name))).Where(x => x.Set is not null).ToList();
            if (collapse) md.AppendLine($"<details><summary>{title}: per-domain losses</summary>").AppendLine();
            else md.AppendLine($"## {title}").AppendLine();
            if (sets.Count == 0) md.AppendLine("No finished runs yet.").AppendLine();
            else
            {
                var domains = sets.SelectMany(x => (x.Set!["domains"] as JsonArray)!.OfType<JsonObject>().Select(d => (string)d["domain"]!)).Distinct()
                    .OrderBy(d => d, StringComparer.Ordinal).ToList();
                md.Append("| arm | tokens | loss | ppl | bits/byte | doc CVaR₀.₉ |");
                foreach (var d in domains) md.Append($" {d} |");
                md.AppendLine().Append("|---|---:|---:|---:|---:|---:|").Append(string.Concat(Enumerable.Repeat("---:|", domains.Count))).AppendLine();
                foreach (var arm in spec.Arms)
                {
                    var mine = sets.Where(x => x.Run.Arm == arm.Name).Select(x => x.Set!).ToList();
                    if (mine.Count == 0) continue;
                    string Cell(Func<JsonObject, double> f, string fmt) => SummaryTable.Cell(SeedStatistics.Of(mine.Select(f)), fmt);
                    md.Append($"| {arm.Name} | {RunLog.Num(mine[0]["tokens"]):F0} | {Cell(o => RunLog.Num(o["loss"]), "F4")} | {Cell(o => RunLog.Num(o["ppl"]), "F2")} | " +
                              $"{Cell(o => RunLog.Num(o["bits_per_byte"]), "F4")} | {Cell(o => RunLog.Num(o["doc_cvar90"]), "F4")} |");
                    foreach (var d in domains)
                        md.Append(' ').Append(Cell(o => RunLog.Num((o["domains"] as JsonArray)!.OfType<JsonObject>().FirstOrDefault(x => (string?)x["domain"] == d)?["loss"]), "F4")).Append(" |");
                    md.AppendLine();
                }
                md.AppendLine();
            }
            if (collapse) md.AppendLine("</details>").AppendLine();
        }
    }

    /// <summary>The caption list of the curve plots (for tests and publishing).</summary>
    internal static IReadOnlyList<string> Captions => PlotCaptions;
}
