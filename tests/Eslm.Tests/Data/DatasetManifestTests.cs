using System.Text;
using Eslm.Data;
using Xunit;

namespace Eslm.Tests.Data;

/// <summary>
/// Issue 22, item 6: the dataset manifest is read and written through typed records. The manifest format is a contract with
/// every prepared dataset on disk: the writer keeps its bytes, the reader keeps reading them, and anything else is one line
/// naming the file.
/// </summary>
public class DatasetManifestTests : DataTestBase
{
    /// <summary>A manifest as eslm prepare wrote it before shards recorded checksums (2026-12-07): still read.</summary>
    private static string Fixture => Path.Combine(AppContext.BaseDirectory, "Fixtures", "dataset", "manifest-v1.json");

    /// <summary>The same dataset's manifest as eslm prepare writes it now: each shard with its tokens' checksum.</summary>
    private static string WrittenFixture => Path.Combine(AppContext.BaseDirectory, "Fixtures", "dataset", "manifest-v1-shard-checksums.json");

    /// <summary>A small dataset with every optional field: two domains from JSONL, a file-name domain, val_docs, a recipe name.</summary>
    private string PrepareContractDataset()
    {
        var jsonl = new StringBuilder();
        for (int i = 0; i < 12; i++)
            jsonl.Append(System.Text.Json.JsonSerializer.Serialize(new { text = $"Record {i} says " + string.Join(' ', Enumerable.Repeat("word" + i, 3 + i)), domain = i % 2 == 0 ? "even" : "odd" })).Append('\n');
        string a = Write("in/records.jsonl", jsonl.ToString());
        string b = Write("in/notes.txt", "A plain note with a few words.\n\nAnd a second paragraph.");
        string output = Path.Combine(Dir, "ds");
        CorpusPreparer.Prepare(new PrepareOptions
        {
            Inputs = [new InputFile(a), new InputFile(b)], OutputDirectory = output, ShardTokens = 1024, ValDocuments = 3, Seed = 7, Recipe = "contract",
            Input = new InputOptions { Split = DocumentSplit.Auto, Domain = "notes-domain" }, CleanShare = 0.5,
        });
        return output;
    }

    private string Normalized(string manifestPath) => File.ReadAllText(manifestPath).Replace(Dir, "DIR");

    [Fact]
    public void The_writer_keeps_the_manifest_bytes_of_format_version_1()
    {
        string ds = PrepareContractDataset();
        string written = Normalized(Path.Combine(ds, Dataset.ManifestName));
        if (Environment.GetEnvironmentVariable("ESLM_WRITE_MANIFEST_FIXTURE") is { } target) File.WriteAllText(target, written);
        Assert.Equal(File.ReadAllText(WrittenFixture), written);
        // The only change from the manifests written before: each shard's checksum, nothing else moved.
        string withoutChecksums = System.Text.RegularExpressions.Regex.Replace(written, @",\s*""checksum"": ""fnv1a64:[0-9a-f]{16}""", "");
        Assert.Equal(File.ReadAllText(Fixture), withoutChecksums);
    }

    [Fact]
    public void Each_shard_records_its_tokens_checksum_and_a_shard_swapped_for_one_of_the_same_size_is_caught()
    {
        string ds = PrepareContractDataset();
        var d = Dataset.Open(ds);
        foreach (var shard in d.Shards.Values.SelectMany(s => s))
        {
            using var tokens = TokenShard.Open(Path.Combine(ds, shard.File));
            var copy = new int[tokens.Count];
            tokens.CopyTo(0, copy);
            Assert.Equal(TokenChecksum.Of(copy.Select(t => (ushort)t).ToArray()), shard.Checksum);
        }
        Assert.Equal((d.Shards.Values.Sum(s => s.Count), 0), d.CheckChecksums());

        // Same size, other tokens: Open (sizes) accepts it, the checksum does not.
        string first = Path.Combine(ds, d.Shards["train"][0].File);
        int[] swapped;
        using (var tokens = TokenShard.Open(first))
        {
            swapped = new int[tokens.Count];
            tokens.CopyTo(0, swapped);
        }
        Array.Reverse(swapped);
        File.Delete(first);
        TokenShard.Write(first, swapped.Select(t => (ushort)t).ToArray());
        var again = Dataset.Open(ds);
        var e = Assert.Throws<InvalidDataException>(() => again.CheckChecksums());
        Assert.StartsWith(first + ": its tokens' checksum is fnv1a64:", e.Message);
        Assert.Contains("replaced or changed after eslm prepare", e.Message);

        // A manifest from before checksums: nothing to compare, said so.
        File.WriteAllText(Path.Combine(ds, Dataset.ManifestName), File.ReadAllText(Fixture).Replace("DIR", Dir));
        Assert.Equal((0, again.Shards.Values.Sum(s => s.Count)), Dataset.Open(ds).CheckChecksums());
    }

    [Fact]
    public void A_version_1_manifest_on_disk_is_read_with_every_field()
    {
        string ds = PrepareContractDataset();
        File.WriteAllText(Path.Combine(ds, Dataset.ManifestName), File.ReadAllText(Fixture).Replace("DIR", Dir));
        var d = Dataset.Open(ds);
        Assert.Equal(["even", "odd", "notes-domain"], d.Domains);
        Assert.Equal(3, d.Counts["val"].Documents);
        Assert.Equal(d.Counts["train"].Tokens, d.Shards["train"].Sum(s => s.Tokens));
        var index = d.Index("train");
        Assert.Equal(d.Counts["train"].Documents, index.Count);
        Assert.Equal(d.Counts["train"].Tokens, index.Start[^1] + index.Tokens[^1]);
    }

    [Theory]
    [InlineData("\"version\": 1,", "\"version\": 1, \"colour\": \"red\",", "unknown field 'colour'")]
    [InlineData("\"tokens\": 206,", "\"tokens\": \"206\",", "wrong type at $.splits.train.tokens")]
    [InlineData("\"domains\": [", "\"domains\": {\"a\": 1}, \"unused\": [", "wrong type at $.domains")]
    [InlineData("\"format\": \"eslm-dataset\",", "", "missing field 'format'")]
    [InlineData("\"version\": 1,", "\"version\": 1, \"version\": 1,", "duplicate key 'version'")]
    [InlineData("\"seed\": 7,", "\"seed\": null,", "$.options.seed")]
    public void A_damaged_manifest_is_one_line_naming_the_file_and_the_problem(string from, string to, string problem)
    {
        string ds = PrepareContractDataset();
        string path = Path.Combine(ds, Dataset.ManifestName);
        string text = File.ReadAllText(Fixture).Replace("DIR", Dir);
        Assert.Contains(from, text);
        int at = text.IndexOf(from, StringComparison.Ordinal);
        File.WriteAllText(path, text[..at] + to + text[(at + from.Length)..]);
        var e = Assert.Throws<InvalidDataException>(() => Dataset.Open(ds));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(problem, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.DoesNotContain("System.", e.Message);
    }
}
