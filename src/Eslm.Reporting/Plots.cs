using ScottPlot;

namespace Eslm.Reporting;

/// <summary>One line of a plot: a label (shown once per label in the legend), a colour index and points.</summary>
public sealed record PlotSeries(string Label, int Colour, double[] X, double[] Y);

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
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        plot.SavePng(path, Width, Height);
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
