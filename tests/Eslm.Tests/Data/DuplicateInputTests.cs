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
