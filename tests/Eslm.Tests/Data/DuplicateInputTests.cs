using Eslm.Cli;
using Eslm.Data;
using Xunit;

namespace Eslm.Tests.Data;

/// <summary>The same file given twice (or inside a folder also given) is read once; copies with identical content are warned about.</summary>
public class DuplicateInputTests : DataTestBase
{
    [Fact]
    public void A_file_given_twice_or_inside_a_given_folder_is_read_once()
    {
        string a = Write("docs/a.txt", "alpha text"), b = Write("docs/b.txt", "beta text");
        var files = DocumentReader.Expand([a, Path.Combine(Dir, "docs"), Path.Combine(Dir, "docs", "..", "docs", "a.txt"), b]);
        Assert.Equal([a, b], files.Select(f => f.Path));
        var r = Prepare(Path.Combine(Dir, "ds"), [a, a, Path.Combine(Dir, "docs")], o => o with { ValFraction = 0 });
        Assert.Equal(2, r.Train.Documents);
    }

    [Fact]
    public void A_symbolic_link_to_a_given_file_is_read_once()
    {
        string a = Write("a.txt", "alpha text"), link = Path.Combine(Dir, "link.txt");
        File.CreateSymbolicLink(link, a);
        Assert.Single(DocumentReader.Expand([a, link]));
    }

    [Fact]
    public void Inputs_with_identical_content_are_warned_about()
    {
        string a = Write("a.txt", "the same words"), copy = Write("copy.txt", "the same words");
        var r = Prepare(Path.Combine(Dir, "ds"), [a, copy], o => o with { ValFraction = 0 });
        Assert.Contains(r.Warnings, w => w.Contains("copy.txt") && w.Contains("same content as") && w.Contains("a.txt"));

        var (stdout, stderr) = (Console.Out, Console.Error);
        var e = new StringWriter();
        Console.SetOut(new StringWriter()); Console.SetError(e);
        try { Assert.Equal(0, Program.Main(["prepare", a, copy, "-o", Path.Combine(Dir, "cli")])); }
        finally { Console.SetOut(stdout); Console.SetError(stderr); }
        Assert.Contains("eslm: warning: " + copy + ": same content as " + a, e.ToString());
    }
}

/// <summary>Issue 21, defect 6: symbolic-link cycles in directory inputs.</summary>
public class SymlinkCycleTests : DataTestBase
{
    [Fact]
    public void A_link_back_to_an_ancestor_is_followed_once_with_one_warning_and_no_file_lands_in_both_splits()
    {
        for (int i = 0; i < 40; i++) Write($"corpus/sub/doc{i:D2}.txt", $"document number {i} has its own words " + new string((char)('a' + i % 26), 5 + i));
        Directory.CreateSymbolicLink(Path.Combine(Dir, "corpus", "sub", "loop"), Path.Combine(Dir, "corpus"));
        var warnings = new List<string>();
        var files = DocumentReader.Expand([Path.Combine(Dir, "corpus")], warnings.Add);
        Assert.Equal(40, files.Count);
        Assert.Single(warnings);
        Assert.Contains("loop", warnings[0]);
        Assert.Contains("cycle", warnings[0]);

        string ds = Path.Combine(Dir, "ds");
        var r = CorpusPreparer.Prepare(new PrepareOptions { Inputs = files, OutputDirectory = ds, ShardTokens = 1024, ValFraction = 0.2 });
        Assert.Equal(40, r.Train.Documents + r.Val.Documents);
        var manifest = Dataset.Open(ds).Manifest;
        var sources = manifest.Sources!.Select(s => s.Path).ToList();
        Assert.Equal(sources.Count, sources.Distinct().Count());
        var trainSources = manifest.Index!["train"].Source.ToHashSet();
        var valSources = manifest.Index!["val"].Source;
        Assert.DoesNotContain(valSources, trainSources.Contains);
    }

    [Fact]
    public void Two_links_to_one_folder_read_it_once_and_a_glob_survives_a_cycle()
    {
        Write("real/a.txt", "alpha words");
        Directory.CreateSymbolicLink(Path.Combine(Dir, "alias"), Path.Combine(Dir, "real"));
        Directory.CreateSymbolicLink(Path.Combine(Dir, "real", "back"), Dir);
        var warnings = new List<string>();
        Assert.Single(DocumentReader.Expand([Path.Combine(Dir, "real"), Path.Combine(Dir, "alias")], warnings.Add));
        Assert.NotEmpty(warnings);
        Assert.Single(DocumentReader.Expand([Path.Combine(Dir, "**", "*.txt")]));
    }
}
