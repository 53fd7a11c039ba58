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
            CorpusPreparer.Prepare(new PrepareOptions { Inputs = DocumentReader.Expand([dir], fileNameDomains: true), OutputDirectory = Path.Combine(dir, "ds"), ValFraction = 0 });
            Assert.Equal(["LGPL-2.1", "LGPL-2"], Dataset.Open(Path.Combine(dir, "ds")).Domains);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Files_found_in_a_folder_take_their_name_as_domain_only_when_it_repeats_or_when_asked()
    {
        string dir = Directory.CreateTempSubdirectory("eslm-domain-").FullName;
        try
        {
            foreach (string year in new[] { "2020", "2021" })
            {
                Directory.CreateDirectory(Path.Combine(dir, "corpus", year));
                File.WriteAllText(Path.Combine(dir, "corpus", year, "news.txt"), $"news of {year}");
                File.WriteAllText(Path.Combine(dir, "corpus", year, $"note-{year}.txt"), $"a note from {year}");
            }
            string single = Path.Combine(dir, "single.txt");
            File.WriteAllText(single, "given by name");
            var files = DocumentReader.Expand([Path.Combine(dir, "corpus"), single]);
            Assert.Equal(["news", "corpus", "news", "corpus", "single"],
                files.Select(f => DocumentReader.Split(File.ReadAllBytes(f.Path), f, new InputOptions())[0].Domain));
            var named = DocumentReader.Expand([Path.Combine(dir, "corpus")], fileNameDomains: true);
            Assert.Equal(["news", "note-2020", "news", "note-2021"], named.Select(f => DocumentReader.Split(File.ReadAllBytes(f.Path), f, new InputOptions())[0].Domain));
        }
        finally { Directory.Delete(dir, true); }
    }
}
