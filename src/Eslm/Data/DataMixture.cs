using System.Globalization;

namespace Eslm.Data;

/// <summary>
/// A data argument naming several datasets or token files: `PATH@WEIGHT,PATH@WEIGHT` mixes them by weight (each row of a
/// batch picks one, <see cref="DataLoader.OpenMixture"/>); a part without `@WEIGHT` weighs 1. A single path is a mixture
/// of one.
/// </summary>
public static class DataMixture
{
    /// <summary>Each part's path and weight.</summary>
    public static List<(string Path, double Weight)> Parse(string spec)
    {
        var parts = new List<(string, double)>();
        foreach (var (path, weight) in Split(spec))
        {
            double w = weight is null ? 1.0 : double.Parse(weight, NumberStyles.Float, CultureInfo.InvariantCulture);
            if (!(w > 0)) throw new ArgumentException($"{path}@{weight}: a mixture weight must be > 0");
            parts.Add((path, w));
        }
        if (parts.Count == 0) throw new ArgumentException("--data is empty");
        return parts;
    }

    /// <summary>The same argument with <paramref name="locate"/> applied to each part's path, the weights as written.</summary>
    public static string MapPaths(string spec, Func<string, string> locate) =>
        string.Join(",", Split(spec).Select(p => locate(p.Path) + (p.Weight is null ? "" : "@" + p.Weight)));

    private static IEnumerable<(string Path, string? Weight)> Split(string spec)
    {
        foreach (var item in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int at = item.LastIndexOf('@');
            bool weighted = at > 0 && double.TryParse(item[(at + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out _);
            yield return weighted ? (item[..at], item[(at + 1)..]) : (item, null);
        }
    }
}
