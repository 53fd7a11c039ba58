using System.Text.Json.Nodes;
using Eslm.Experiments;
using Eslm.Records;

namespace Eslm.Reporting;

/// <summary>One arm × seed of one grid point, as read back from disk (metrics.jsonl or its committed .gz, and eval.json).</summary>
public sealed class RunLog
{
    public required string Arm { get; init; }
    public required ulong Seed { get; init; }
    public required string Strategy { get; init; }
    public required GridPoint Point { get; init; }
    /// <summary>The run's rate in an "lrs" experiment (null without that axis).</summary>
    public double? LearningRate { get; init; }
    public List<TrainMetrics> Train { get; } = new();
    public List<ValidationMetrics> Validation { get; } = new();
    public JsonObject? Eval { get; set; }
    public bool Finished => Eval is not null;

    /// <summary>
    /// Every run of the experiment that has logged a step or finished, in grid-point, arm, seed, rate order (the baseline
    /// alone at baseline-only points; every rate of "lrs").
    /// </summary>
    public static List<RunLog> ReadAll(string directory, ExperimentSpec spec)
    {
        var runs = new List<RunLog>();
        foreach (var point in spec.Points)
            foreach (var arm in spec.ArmsAt(point))
                foreach (ulong seed in spec.Seeds)
                foreach (double? rate in spec.RunRates)
                {
                    string dir = ExperimentRunner.SeedDirectory(directory, point, arm.Name, seed, rate);
                    var run = new RunLog { Arm = arm.Name, Seed = seed, Strategy = arm.Selection.Strategy, Point = point, LearningRate = rate };
                    if (CommittedRuns.MetricsFile(dir) is { } metrics) // metrics.jsonl, or the committed metrics.jsonl.gz
                        foreach (var line in MetricsLine.ReadFile(metrics))
                            if (line is ValidationMetrics v) run.Validation.Add(v); else run.Train.Add((TrainMetrics)line);
                    string eval = Path.Combine(dir, ExperimentRunner.EvalFile);
                    if (File.Exists(eval)) run.Eval = EvalRecord.Read(eval);
                    if (run.Train.Count > 0 || run.Finished) runs.Add(run);
                }
        return runs;
    }

    // ---- figures of one run (NaN when absent) ----

    public static double Num(JsonNode? n) => n is null ? double.NaN : n.GetValue<double>();

    /// <summary>The first evaluation set of the domain ("in" or "out").</summary>
    public JsonObject? EvalSet(bool inDomain) =>
        (Eval?["eval"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(e => (string?)e["domain"] == (inDomain ? "in" : "out"));

    public JsonObject? EvalSetNamed(string name) =>
        (Eval?["eval"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(e => (string?)e["name"] == name);

    public JsonObject? Task(string task) =>
        (Eval?["tasks"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(e => (string?)e["task"] == task);

    /// <summary>Where the run finished (eval.json's "machine": "CPU, N threads"), null in runs from before it was recorded.</summary>
    public string? Machine => Eval?["machine"] is JsonObject m ? $"{(string?)m["cpu"]}, {(int?)m["threads"]} threads" : null;

    /// <summary>The largest domain loss over every evaluation set.</summary>
    public double WorstDomainLoss =>
        (Eval?["eval"] as JsonArray)?.OfType<JsonObject>().Select(e => Num(e["worst_domain_loss"])).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max() ?? double.NaN;

    /// <summary>The last periodic validation loss (the validation sample; what an "lrs" experiment's best rate is chosen on).</summary>
    public double LastValidationLoss => Validation.Count == 0 ? double.NaN : Validation[^1].Loss;

    public double Last(Func<TrainMetrics, double> value) => Train.Count == 0 ? double.NaN : value(Train[^1]);

    public double MeanOf(Func<TrainMetrics, double> value)
    {
        var values = Train.Select(value).Where(double.IsFinite).ToList();
        return values.Count == 0 ? double.NaN : values.Average();
    }
}
