using Eslm.Data;
using Xunit;

namespace Eslm.Tests.Data;

/// <summary>A file's default domain drops only known extensions, so versioned names stay distinct.</summary>
public class DefaultDomainTests
{
    [Theory]
    [InlineData("licenses/LGPL-2.txt", "LGPL-2")]
    [InlineData("licenses/LGPL-2.1.txt", "LGPL-2.1")]
    [InlineData("austen.txt", "austen")]
    [InlineData("web.jsonl.gz", "web")]
    [InlineData("notes.v2.md", "notes.v2")]
    [InlineData("table.csv.gz", "table")]
    [InlineData("README", "README")]
    [InlineData("archive.tar", "archive.tar")]
    [InlineData(".txt", ".txt")]
    public void Only_known_extensions_are_stripped(string path, string domain) =>
        Assert.Equal(domain, DocumentReader.DefaultDomain(new InputFile(path)));

    [Fact]
    public void Two_versions_of_a_file_make_two_domains()
    {
        string dir = Directory.CreateTempSubdirectory("eslm-domain-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "LGPL-2.txt"), "version two");
            File.WriteAllText(Path.Combine(dir, "LGPL-2.1.txt"), "version two point one");
            CorpusPreparer.Prepare(new PrepareOptions { Inputs = DocumentReader.Expand([dir]), OutputDirectory = Path.Combine(dir, "ds"), ValFraction = 0 });
            Assert.Equal(["LGPL-2.1", "LGPL-2"], Dataset.Open(Path.Combine(dir, "ds")).Domains);
        }
        finally { Directory.Delete(dir, true); }
    }
}
