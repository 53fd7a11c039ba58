using Xunit;

namespace Eslm.Tests.Architecture;

/// <summary>
/// Layers point one way (docs/architecture.md): every .cs file under src/ is scanned for references to other Eslm
/// layers, and the suite fails on an edge outside <see cref="LayerRules"/> or on a cycle, naming the file.
/// </summary>
public class LayeringTests
{
    private static readonly HashSet<string> Layers = LayerRules.Allowed.Keys.ToHashSet();

    private static List<(string Path, string Text)> SourceFiles()
    {
        string root = Tokenization.Gpt2TokenizerTests.RepoRoot();
        string src = Path.Combine(root, "src");
        return Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(p => !p.Split(Path.DirectorySeparatorChar).Any(d => d is "bin" or "obj"))
            .Order(StringComparer.Ordinal)
            .Select(p => (Path.GetRelativePath(root, p), File.ReadAllText(p))).ToList();
    }

    [Fact]
    public void Every_reference_under_src_follows_the_layer_picture_with_no_cycles()
    {
        var files = SourceFiles();
        Assert.Contains(files, f => f.Path.StartsWith(Path.Combine("src", "Eslm.Reporting"), StringComparison.Ordinal));
        var edges = DependencyScan.Edges(files, Layers);
        var seen = files.Select(f => DependencyScan.LayerOf(f.Text)).OfType<string>();
        var problems = LayerCheck.Problems(edges, seen, LayerRules.Allowed, LayerRules.Never);
        Assert.True(problems.Count == 0, "layering:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void The_core_library_carries_no_plotting_packages()
    {
        string project = File.ReadAllText(Path.Combine(Tokenization.Gpt2TokenizerTests.RepoRoot(), "src", "Eslm", "Eslm.csproj"));
        Assert.DoesNotContain("Skia", project);
        Assert.DoesNotContain("ScottPlot", project);
        Assert.DoesNotContain("HarfBuzz", project);
    }

    [Fact]
    public void The_checker_reports_a_cycle_and_a_forbidden_edge_with_their_files()
    {
        (string, string)[] files =
        [
            ("a/Low.cs", "namespace Eslm.Low;\npublic sealed class Thing { }\npublic static class Helper { static object X => High.Widget.Make(); }"),
            ("a/High.cs", "using Eslm.Low;\nnamespace Eslm.High;\npublic static class Widget { public static object Make() => new Thing(); }"),
            ("a/Side.cs", "namespace Eslm.Side;\nclass S { object Y => Eslm.High.Widget.Make(); }"),
        ];
        var allowed = new Dictionary<string, string[]> { ["Low"] = [], ["High"] = ["Low"], ["Side"] = [] };
        var edges = DependencyScan.Edges(files, allowed.Keys.ToHashSet());
        var problems = LayerCheck.Problems(edges, ["Low", "High", "Side"], allowed, new Dictionary<string, string[]>());

        Assert.Contains("a/Low.cs: forbidden edge Low -> High", problems);
        Assert.Contains("a/Side.cs: forbidden edge Side -> High", problems);
        Assert.Contains(problems, p => p.StartsWith("cycle between High, Low:") && p.Contains("a/Low.cs") && p.Contains("a/High.cs"));
        Assert.Equal(3, problems.Count);
    }

    [Fact]
    public void Comments_strings_locals_and_properties_named_like_layers_are_not_references()
    {
        (string, string)[] files =
        [
            ("b/Data.cs", "namespace Eslm.Data;\npublic sealed class Loader { }"),
            ("b/Sampling.cs", "namespace Eslm.Sampling;\npublic sealed class Sampler { }"),
            ("b/User.cs", """"
                namespace Eslm.User;
                // using Eslm.Data; Data.Loader in a comment
                /* Sampling.Sampler in a block comment */
                class U
                {
                    int Sampling => 1;
                    string A(int[] data) => "Data.Loader and Eslm.Sampling" + data.Length + Sampling.ToString() + @"Data.Loader" + 'x';
                    string B(int n) => $"n={n} {"Data.Loader"}" + $$"""raw Data.Loader {{n}}""";
                    object C() => this.Data.Loader;
                    object Data => null!;
                }
                """"),
            ("b/Real.cs", "namespace Eslm.Real;\nclass R { string S(int n) => $\"{Sampling.Sampler.Name}{n:F3}\"; }"),
        ];
        var layers = new HashSet<string> { "Data", "Sampling", "User", "Real" };
        var edges = DependencyScan.Edges(files, layers);
        Assert.Equal([new LayerEdge("Real", "Sampling", "b/Real.cs")], edges);
    }
}
