using Eslm.Experiments;
using Eslm.Records;

namespace Eslm.Reporting;

/// <summary>Training curves: periodic validation loss against steps, accounted FLOPs and wall-clock; kept fraction and α per step.</summary>
public static class CurvePlots
{
    /// <summary>
    /// Writes the curves of a single-point experiment, or of each model's largest budget in a grid (file names prefixed
    /// with the model's folder); returns (file, caption) pairs in report order.
    /// </summary>
    public static List<(string File, string Caption)> Write(string folder, ExperimentSpec spec, List<RunLog> runs)
    {
        var written = new List<(string, string)>();
        var points = spec.Points.Count == 1 ? spec.Points
            : spec.Points.Where(p => !p.BaselineOnly).GroupBy(p => p.ModelName).Select(g => g.MaxBy(p => p.BudgetIndex)!).ToList();
        foreach (var point in points)
        {
            string prefix = spec.Points.Count == 1 ? "" : GridPoint.ModelFolder(point.ModelName) + "_";
            string title = spec.Points.Count == 1 ? spec.Name : $"{spec.Name} ({point.Label})";
            var files = ExperimentReport.PlotFiles.Select(f => prefix + f).ToArray();
            WritePoint(folder, files, title, spec, runs.Where(r => r.Point == point).ToList());
            var captions = ExperimentReport.Captions.Select(c => spec.Points.Count == 1 ? c : $"{c} ({point.Label})");
            written.AddRange(files.Zip(captions));
        }
        return written;
    }

    /// <summary>
    /// How many predictions a periodic validation point averages, and the split's total when that is a sample (null when
    /// it is the whole split); null when no run has validated yet.
    /// </summary>
    public static (long Predictions, long? SplitTotal)? ValidationSample(IEnumerable<RunLog> runs) =>
        runs.SelectMany(r => r.Validation).MaxBy(v => v.Tokens) is { } v
            ? (v.Tokens, v.SplitTokens is { } split && split > v.Tokens ? split : null) : null;

    private static void WritePoint(string folder, string[] files, string title, ExperimentSpec spec, List<RunLog> runs)
    {
        int Colour(string arm) => spec.Arms.ToList().FindIndex(a => a.Name == arm);
        IEnumerable<PlotSeries> Val(Func<ValidationMetrics, double> x, double scale = 1) => runs.Select(r => new PlotSeries(r.Arm, Colour(r.Arm),
            r.Validation.Select(v => x(v) / scale).ToArray(), r.Validation.Select(v => v.Loss).ToArray()));
        double maxFlops = runs.SelectMany(r => r.Validation).Select(v => v.TotalFlopsAccounted).Where(double.IsFinite).DefaultIfEmpty(1).Max();
        var (scale, unit) = maxFlops >= 1e15 ? (1e15, "PFLOP") : maxFlops >= 1e12 ? (1e12, "TFLOP") : (1e9, "GFLOP");
        string yLabel = ValidationSample(runs) is (var sample, { } split)
            ? $"val loss (nats/token; sample of {sample:N0} of {split:N0})" : "val loss (nats/token; whole split)";
        Plots.Line(Path.Combine(folder, files[0]), $"{title}: validation loss vs steps", "optimizer step", yLabel, Val(v => v.Step));
        Plots.Line(Path.Combine(folder, files[1]), $"{title}: validation loss vs accounted FLOPs", $"accounted training compute ({unit})", yLabel,
            Val(v => v.TotalFlopsAccounted, scale));
        Plots.Line(Path.Combine(folder, files[2]), $"{title}: validation loss vs wall-clock", "training time (s)", yLabel, Val(v => v.TotalSeconds));
        IEnumerable<PlotSeries> TrainSeries(Func<TrainMetrics, double> value) => runs.Select(r =>
        {
            var xs = r.Train.Select(t => (double)t.Step).ToArray();
            var ys = Plots.Smooth(r.Train.Select(value).ToList(), Math.Max(1, r.Train.Count / 40));
            var keep = Enumerable.Range(0, xs.Length).Where(i => double.IsFinite(ys[i])).ToArray();
            return new PlotSeries(r.Arm, Colour(r.Arm), keep.Select(i => xs[i]).ToArray(), keep.Select(i => ys[i]).ToArray());
        });
        Plots.Line(Path.Combine(folder, files[3]), $"{title}: kept fraction per step (moving average)", "optimizer step", "fraction of tokens kept",
            TrainSeries(t => t.KeptFraction), markers: false);
        Plots.Line(Path.Combine(folder, files[4]), $"{title}: α per step", "optimizer step", "α", TrainSeries(t => t.Alpha), markers: false);
    }
}
