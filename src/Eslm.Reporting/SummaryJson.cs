using System.Text.Json;
using System.Text.Json.Nodes;
using Eslm.Experiments;

namespace Eslm.Reporting;

/// <summary>
/// summary.json beside report.md: the report's numbers for tools (per grid point and arm, every figure's mean, 95%
/// half-width and seed count, and the paired differences to the baseline with their verdicts). Small enough to commit.
/// </summary>
public static class SummaryJson
{
    public const string FileName = "summary.json";

    private static JsonObject Figure(Interval i) => new()
    {
        ["mean"] = Finite(i.Mean), ["ci95"] = i.HasWidth ? Finite(i.HalfWidth) : null, ["n"] = i.N,
    };

    private static JsonNode? Finite(double v) => double.IsFinite(v) ? JsonValue.Create(Math.Round(v, 6)) : null;

    private static string Key(string header) => new(header.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());

    /// <param name="runs">The runs compared (each arm at its best rate in an "lrs" experiment).</param>
    /// <param name="allRates">Every run at every rate, for each arm's <c>learning_rates</c> (default: <paramref name="runs"/>).</param>
    public static string Of(ExperimentSpec spec, List<RunLog> runs, List<RunLog>? allRates = null)
    {
        string? baseline = ExperimentReport.Baseline(spec);
        var points = new JsonArray();
        foreach (var point in spec.Points)
        {
            var here = runs.Where(r => r.Point == point).ToList();
            var arms = new JsonArray();
            foreach (var arm in spec.ArmsAt(point))
            {
                var finished = here.Where(r => r.Arm == arm.Name && r.Finished).ToList();
                var figures = new JsonObject();
                var deltas = new JsonObject();
                foreach (var c in SummaryTable.Columns)
                {
                    var i = SeedStatistics.Of(finished.Select(c.Value));
                    if (i.N == 0) continue;
                    figures[Key(c.Header)] = Figure(i);
                    if (!c.Delta || baseline is null || arm.Name == baseline) continue;
                    var d = SeedStatistics.Paired(SummaryTable.BySeed(here, arm.Name, c.Value), SummaryTable.BySeed(here, baseline, c.Value));
                    if (d.N == 0) continue;
                    var o = Figure(d);
                    o["verdict"] = SeedStatistics.Judge(d, c.LowerIsBetter) switch
                    {
                        Verdict.Better => "better", Verdict.Worse => "worse", Verdict.NotDistinguishable => "not distinguishable", _ => null,
                    };
                    deltas[Key(c.Header)] = o;
                }
                var a = new JsonObject { ["arm"] = arm.Name, ["label"] = arm.DescribeWithPrecision(), ["seeds_finished"] = finished.Count, ["figures"] = figures };
                if (deltas.Count > 0) a["delta_vs_" + baseline] = deltas;
                if (spec.HasLearningRateAxis) a["learning_rates"] = LearningRates.Json(spec, allRates ?? runs, point, arm.Name);
                if (baseline is not null && arm.Name != baseline && finished.Count > 0)
                {
                    a["compute_multiplier"] = MultiplierTable.Json(MultiplierTable.Of(runs, baseline, point, arm.Name, MultiplierTable.Flops));
                    a["wall_multiplier"] = MultiplierTable.Json(MultiplierTable.OfWallClock(runs, baseline, point, arm.Name));
                }
                arms.Add(a);
            }
            var p = new JsonObject
            {
                ["model"] = point.ModelName, ["budget"] = new JsonObject { [point.Budget.Name] = point.Budget.Value },
                ["nominal_steps"] = point.NominalSteps,
            };
            if (point.BaselineOnly) p["baseline_only"] = true; // only the baseline ran here (a point of its frontier)
            p["arms"] = arms;
            points.Add(p);
        }
        var root = new JsonObject
        {
            ["experiment"] = spec.Name, ["seeds"] = new JsonArray(spec.Seeds.Select(s => (JsonNode)s).ToArray()), ["baseline"] = baseline,
            ["interval"] = "95% Student t over seeds; deltas are paired by seed",
            ["progress"] = StudyProgress.Json(spec, allRates ?? runs),
        };
        // Plain-training arms besides the baseline join its frontier (MultiplierTable.IsPlainTraining); named when there are any.
        if (baseline is not null && MultiplierTable.OtherPlainArms(spec, baseline) is { Count: > 0 } others)
            root["multiplier_frontier_arms"] = new JsonArray(others.Prepend(baseline).Select(a => (JsonNode)a).ToArray());
        if (spec.LearningRates is { } rates)
        {
            root["learning_rates"] = new JsonArray(rates.Select(r => (JsonNode)r).ToArray());
            root["best_rate_chosen_on"] = LearningRates.Criterion;
        }
        root["points"] = points;
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
