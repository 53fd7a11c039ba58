namespace Eslm.Reporting;

/// <summary>
/// Plots an earlier build of a report wrote and this one does not (a single-budget experiment grown into a grid renames
/// its curves with the model's prefix and adds trends): removed, so plots/ holds what report.md shows. Only names the
/// report writer produces are touched; any other file a user keeps in plots/ stays.
/// </summary>
public static class StalePlots
{
    public static void Remove(string plotFolder, IEnumerable<string> written)
    {
        if (!Directory.Exists(plotFolder)) return;
        var keep = new HashSet<string>(written, StringComparer.Ordinal);
        foreach (string path in Directory.GetFiles(plotFolder, "*.png"))
        {
            string name = Path.GetFileName(path);
            if (!keep.Contains(name) && IsReportPlot(name)) File.Delete(path);
        }
    }

    /// <summary>A name the report writer gives a plot: a curve (optionally after a model's folder name), a trend or a multiplier plot.</summary>
    public static bool IsReportPlot(string name) =>
        ExperimentReport.PlotFiles.Any(f => name == f || name.EndsWith("_" + f, StringComparison.Ordinal))
        || (name.EndsWith(".png", StringComparison.Ordinal) && (name.StartsWith(TrendReport.PlotPrefix, StringComparison.Ordinal) || name.StartsWith(MultiplierTable.PlotPrefix, StringComparison.Ordinal)));
}
