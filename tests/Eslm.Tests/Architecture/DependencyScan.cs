using System.Text.RegularExpressions;

namespace Eslm.Tests.Architecture;

/// <summary>One reference from a file in one layer to another layer.</summary>
public sealed record LayerEdge(string From, string To, string File);

/// <summary>
/// Finds the layer references of C# files: `using Eslm.X` (and `using static`, aliases), `Eslm.X.Y` anywhere, and
/// qualified names `X.Type` where X is a layer and Type a type that layer declares (so `Data.Length` on a local called
/// data, or a property named Sampling, is not taken for a reference). Comments and string text are ignored.
/// </summary>
public static partial class DependencyScan
{
    [GeneratedRegex(@"^\s*namespace\s+Eslm\.(\w+)", RegexOptions.Multiline)]
    private static partial Regex Namespace();

    [GeneratedRegex(@"(?<![\w.])Eslm\.(\w+)")]
    private static partial Regex Prefixed();

    [GeneratedRegex(@"(?<![\w.])(\w+)\.([A-Z]\w*)")]
    private static partial Regex Qualified();

    [GeneratedRegex(@"\b(?:class|struct|interface|enum|record)\s+([A-Z]\w*)")]
    private static partial Regex TypeDeclaration();

    /// <summary>Every edge between different layers; files are (path, text) pairs; files outside Eslm.* are skipped.</summary>
    public static List<LayerEdge> Edges(IEnumerable<(string Path, string Text)> files, IReadOnlySet<string> layers)
    {
        var code = files.Select(f => (f.Path, Code: CSharpText.CodeOnly(f.Text))).ToList();
        var parsed = code.Select(f => (f.Path, f.Code, Layer: Namespace().Match(f.Code) is { Success: true } m ? m.Groups[1].Value : null)).ToList();
        var declared = parsed.Where(f => f.Layer is not null)
            .SelectMany(f => TypeDeclaration().Matches(f.Code).Select(m => (Layer: f.Layer!, Type: m.Groups[1].Value)))
            .ToHashSet();

        var edges = new List<LayerEdge>();
        foreach (var (path, text, layer) in parsed)
        {
            if (layer is null) continue;
            var body = Namespace().Replace(text, "", 1);
            var targets = new HashSet<string>();
            foreach (Match m in Prefixed().Matches(body))
                if (layers.Contains(m.Groups[1].Value)) targets.Add(m.Groups[1].Value);
            foreach (Match m in Qualified().Matches(body))
                if (layers.Contains(m.Groups[1].Value) && declared.Contains((m.Groups[1].Value, m.Groups[2].Value))) targets.Add(m.Groups[1].Value);
            foreach (var to in targets.Where(t => t != layer).Order(StringComparer.Ordinal)) edges.Add(new LayerEdge(layer, to, path));
        }
        return edges;
    }

    /// <summary>The layer of each file (null when it declares no Eslm namespace).</summary>
    public static string? LayerOf(string text) => Namespace().Match(CSharpText.CodeOnly(text)) is { Success: true } m ? m.Groups[1].Value : null;
}
