using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Eslm.Experiments;

namespace Eslm.Reporting;

/// <summary>
/// Issue 23, fair learning rates: in an "lrs" experiment every arm × seed runs at each rate, and each arm's best rate at
/// each grid point is chosen on the periodic validation sample (the mean over seeds of each run's last periodic validation
/// loss in metrics.jsonl), never on the whole-split losses the report compares. The report's tables, verdicts and
/// multipliers then use each arm at its best rate, so the baseline is compared at its own best rate too.
/// </summary>
public static class LearningRates
{
    public const string Criterion =
        "the mean over seeds of each run's last periodic validation loss (the validation sample in metrics.jsonl), finished runs only";

    /// <summary>Each rate's mean last periodic validation loss of one arm at one point (NaN where no run finished).</summary>
    public static List<(double Rate, Interval Loss)> Losses(ExperimentSpec spec, List<RunLog> runs, GridPoint point, string arm) =>
        spec.LearningRates!.Select(rate => (rate, SeedStatistics.Of(runs
            .Where(r => r.Finished && r.Point == point && r.Arm == arm && r.LearningRate == rate).Select(r => r.LastValidationLoss)))).ToList();

    /// <summary>The rate with the lowest mean sample loss (the first listed on a tie), or null when no rate has a finished run.</summary>
    public static double? Best(ExperimentSpec spec, List<RunLog> runs, GridPoint point, string arm)
    {
        var scored = Losses(spec, runs, point, arm).Where(x => double.IsFinite(x.Loss.Mean)).ToList();
        return scored.Count == 0 ? null : scored.MinBy(x => x.Loss.Mean).Rate;
    }

    /// <summary>
    /// The runs the report compares: without "lrs" all of them; with it, each arm × point at its best rate (at its first
    /// rate while none has finished, so unfinished curves still show).
    /// </summary>
    public static List<RunLog> AtBestRates(ExperimentSpec spec, List<RunLog> runs)
    {
        if (!spec.HasLearningRateAxis) return runs;
        var chosen = new Dictionary<(GridPoint, string), double>();
        double Chosen(RunLog r) => chosen.TryGetValue((r.Point, r.Arm), out double c) ? c
            : chosen[(r.Point, r.Arm)] = Best(spec, runs, r.Point, r.Arm) ?? spec.LearningRates![0];
        return runs.Where(r => r.LearningRate == Chosen(r)).ToList();
    }

    private static string Rate(double r) => r.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The report's section: per point, each arm's sample loss at every rate, the best in bold.</summary>
    public static void Markdown(StringBuilder md, ExperimentSpec spec, List<RunLog> runs)
    {
        var rates = spec.LearningRates!;
        md.AppendLine("## Learning rates").AppendLine();
        md.AppendLine($"Every arm × seed ran at each peak learning rate ({string.Join(", ", rates.Select(Rate))}). Each arm's **best rate** " +
                      $"at each budget is chosen on the periodic validation sample: {Criterion}; the lowest is marked **bold ✓**. Every " +
                      "other table, verdict and multiplier of this report uses each arm at its best rate (the baseline at its own best " +
                      "rate too: best against best).").AppendLine();
        md.Append("| budget | arm |").Append(string.Concat(rates.Select(r => $" lr {Rate(r)} |"))).AppendLine(" best |");
        md.Append("|---|---|").Append(string.Concat(Enumerable.Repeat("---:|", rates.Count))).AppendLine("---:|");
        foreach (var point in spec.Points)
            foreach (var arm in spec.ArmsAt(point))
            {
                double? best = Best(spec, runs, point, arm.Name);
                string where = spec.Points.Count > 1 ? point.Label + (point.BaselineOnly ? " (baseline only)" : "") : ExperimentReport.G(point.Budget.Value);
                md.Append($"| {where} | {arm.Name} |");
                foreach (var (rate, loss) in Losses(spec, runs, point, arm.Name))
                {
                    string cell = SummaryTable.Cell(loss, "F4");
                    md.Append(' ').Append(rate == best ? $"**{cell}** ✓" : cell).Append(" |");
                }
                md.AppendLine($" {(best is { } b ? Rate(b) : "–")} |");
            }
        md.AppendLine();
    }

    /// <summary>summary.json's <c>learning_rates</c> of one arm at one point: the rates, their sample losses and the best.</summary>
    public static JsonObject Json(ExperimentSpec spec, List<RunLog> runs, GridPoint point, string arm)
    {
        var losses = Losses(spec, runs, point, arm);
        return new JsonObject
        {
            ["rates"] = new JsonArray(losses.Select(x => (JsonNode)x.Rate).ToArray()),
            ["losses"] = new JsonArray(losses.Select(x => double.IsFinite(x.Loss.Mean) ? JsonValue.Create(Math.Round(x.Loss.Mean, 6)) : null).ToArray<JsonNode?>()),
            ["seeds"] = new JsonArray(losses.Select(x => (JsonNode)x.Loss.N).ToArray()),
            ["best"] = Best(spec, runs, point, arm),
        };
    }
}
