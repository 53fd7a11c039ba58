namespace Eslm.Reporting;

/// <summary>
/// Plots an earlier build of a report wrote and this one does not (a single-budget experiment grown into a grid renames
/// its curves with the model's prefix and adds trends): removed, so plots/ holds what report.md shows. Each build lists
/// the plots it wrote in <see cref="ManifestFile"/>, and only names on the previous build's list are removed: a file a
/// user keeps in plots/ stays, whatever its name (a name pattern cannot tell "d6_alpha.png" from a user's "my_alpha.png").
/// </summary>
public static class StalePlots
{
    /// <summary>The plots the last build wrote, one file name per line (hidden, in plots/).</summary>
    public const string ManifestFile = ".report-plots";

    /// <summary>
    /// Removes what the previous build wrote and <paramref name="written"/> does not hold, then records
    /// <paramref name="written"/> as this build's list. A folder built before the list existed has none: there only the
    /// writer's own unprefixed curve names (which a single-budget build would overwrite anyway) count as its plots.
    /// </summary>
    public static void Remove(string plotFolder, IEnumerable<string> written)
    {
        if (!Directory.Exists(plotFolder)) return;
        var keep = new HashSet<string>(written, StringComparer.Ordinal);
        string manifest = Path.Combine(plotFolder, ManifestFile);
        IEnumerable<string> previous = File.Exists(manifest)
            ? File.ReadAllLines(manifest).Where(IsPlotName)
            : ExperimentReport.PlotFiles;
        foreach (string name in previous.Where(n => !keep.Contains(n)))
        {
            string path = Path.Combine(plotFolder, name);
            if (File.Exists(path)) File.Delete(path);
        }
        Eslm.Experiments.ExperimentRunner.AtomicWrite(manifest, string.Concat(keep.Order(StringComparer.Ordinal).Select(n => n + "\n")));
    }

    /// <summary>A bare PNG file name: a list edited by hand cannot point the removal outside plots/ or at another kind of file.</summary>
    private static bool IsPlotName(string name) =>
        name.EndsWith(".png", StringComparison.Ordinal) && name == Path.GetFileName(name);
}
