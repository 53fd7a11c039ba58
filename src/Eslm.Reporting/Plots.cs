using ScottPlot;
using Eslm.IO;

namespace Eslm.Reporting;

/// <summary>One line of a plot: a label (shown once per label in the legend), a colour index and points.</summary>
public sealed record PlotSeries(string Label, int Colour, double[] X, double[] Y);

/// <summary>A trend line: points with a symmetric error bar each (0 = none), drawn against a log-scaled x.</summary>
public sealed record TrendSeries(string Label, int Colour, double[] X, double[] Y, double[] Error);

/// <summary>Line plots as PNG files (ScottPlot 5 through SkiaSharp; works headless).</summary>
public static class Plots
{
    public const int Width = 1000, Height = 540;

    private static readonly LinePattern[] Patterns = [LinePattern.Solid, LinePattern.Dashed, LinePattern.Dotted, LinePattern.DenselyDashed];

    public static void Line(string path, string title, string xLabel, string yLabel, IEnumerable<PlotSeries> series, bool markers = true)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var labelled = new HashSet<string>();
        int lines = 0;
        foreach (var s in series)
        {
            if (s.X.Length == 0) continue;
            var scatter = plot.Add.Scatter(s.X, s.Y, palette.GetColor(s.Colour));
            scatter.LineWidth = 2;
            scatter.LinePattern = Patterns[s.Colour % Patterns.Length]; // arms drawn on top of each other stay visible
            scatter.MarkerSize = markers && s.X.Length <= 60 ? 5 : 0;
            if (labelled.Add(s.Label)) scatter.LegendText = s.Label;
            lines++;
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        if (lines > 0) plot.ShowLegend(Edge.Right); // beside the data, never over it
        Save(plot, path);
    }

    /// <summary>
    /// Lines with error bars against a log-scaled x (x is plotted as log10, ticked with its real values), and a dashed
    /// zero line: the shape of a Δ-vs-budget trend.
    /// </summary>
    public static void Trend(string path, string title, string xLabel, string yLabel, IEnumerable<TrendSeries> series)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var xs = new List<double>();
        foreach (var s in series)
        {
            var keep = Enumerable.Range(0, s.X.Length).Where(i => s.X[i] > 0 && double.IsFinite(s.Y[i])).ToArray();
            if (keep.Length == 0) continue;
            double[] x = keep.Select(i => Math.Log10(s.X[i])).ToArray(), y = keep.Select(i => s.Y[i]).ToArray();
            var colour = palette.GetColor(s.Colour);
            var line = plot.Add.Scatter(x, y, colour);
            line.LineWidth = 2;
            line.MarkerSize = 7;
            line.LinePattern = Patterns[s.Colour % Patterns.Length];
            line.LegendText = s.Label;
            var bars = plot.Add.ErrorBar(x, y, keep.Select(i => s.Error[i]).ToArray());
            bars.Color = colour;
            bars.LineWidth = 1.5f;
            xs.AddRange(keep.Select(i => s.X[i]));
        }
        var zero = plot.Add.HorizontalLine(0);
        zero.LinePattern = LinePattern.Dashed;
        zero.Color = Colors.Gray;
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        foreach (double x in LogTicks(xs)) ticks.AddMajor(Math.Log10(x), TickLabel(x));
        plot.Axes.Bottom.TickGenerator = ticks;
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        if (xs.Count > 0) plot.ShowLegend(Edge.Right);
        Save(plot, path);
    }

    /// <summary>
    /// Issue 21: a plot appears under its final name only when complete (a temporary sibling renamed into place), so a full
    /// disk or a kill leaves the previous plot or none, never a truncated PNG.
    /// </summary>
    private static void Save(Plot plot, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(Width, Height, ImageFormat.Png), flushToDisk: false);
    }

    /// <summary>"40", "0.5", "8.16e11": three significant digits, an exponent only for large values.</summary>
    private static string TickLabel(double x)
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        if (Math.Abs(x) < 1e5) return x.ToString("G3", c);
        int e = (int)Math.Floor(Math.Log10(Math.Abs(x)));
        return (x / Math.Pow(10, e)).ToString("0.##", c) + "e" + e.ToString(c);
    }

    /// <summary>Tick values for a log axis: 1, 2, 5 × powers of ten within the data's range (the data's own x values when few).</summary>
    private static IEnumerable<double> LogTicks(List<double> xs)
    {
        if (xs.Count == 0) return [];
        var distinct = xs.Distinct().Order().ToList();
        if (distinct.Count <= 6) return distinct;
        double lo = distinct[0], hi = distinct[^1];
        var ticks = new List<double>();
        for (int e = (int)Math.Floor(Math.Log10(lo)); e <= (int)Math.Ceiling(Math.Log10(hi)); e++)
            foreach (double m in new[] { 1.0, 2.0, 5.0 })
            {
                double t = m * Math.Pow(10, e);
                if (t >= lo / 1.5 && t <= hi * 1.5) ticks.Add(t);
            }
        return ticks;
    }

    /// <summary>Centred moving average over a window of <paramref name="window"/> points (NaNs skipped).</summary>
    public static double[] Smooth(IReadOnlyList<double> y, int window)
    {
        var result = new double[y.Count];
        int half = Math.Max(0, window / 2);
        for (int i = 0; i < y.Count; i++)
        {
            double sum = 0; int n = 0;
            for (int j = Math.Max(0, i - half); j <= Math.Min(y.Count - 1, i + half); j++)
                if (double.IsFinite(y[j])) { sum += y[j]; n++; }
            result[i] = n == 0 ? double.NaN : sum / n;
        }
        return result;
    }
}
