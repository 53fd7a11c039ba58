using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Eslm.Data;
using Eslm.Tokenization;
using Xunit;

namespace Eslm.Tests.Data;

public class PrepareTests : DataTestBase
{
    private string Out(string name = "ds") => Path.Combine(Dir, name);

    [Fact]
    public void Prepared_shards_hold_every_document_prefixed_by_end_of_text()
    {
        string input = JsonlCorpus(documents: 30);
        var result = Prepare(Out(), [input], o => o with { ValFraction = 0.2 });
        var tok = Gpt2Tokenizer.Default;
        var texts = File.ReadLines(input).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!).ToHashSet();
        var decoded = new List<string>();
        foreach (var split in new[] { "train", "val" })
        {
            var tokens = ReadSplit(Out(), split);
            Assert.Equal(Gpt2Tokenizer.EndOfText, tokens[0]);
            var docs = new List<List<int>>();
            foreach (int t in tokens) { if (t == Gpt2Tokenizer.EndOfText) docs.Add([]); else docs[^1].Add(t); }
            decoded.AddRange(docs.Select(d => tok.Decode(d.ToArray())));
        }
        Assert.Equal(30, decoded.Count);
        Assert.True(texts.SetEquals(decoded));
        Assert.Equal(24, result.Train.Documents);
        Assert.Equal(6, result.Val.Documents);
    }

    [Fact]
    public void The_manifest_counts_documents_tokens_and_bytes_per_split_and_domain()
    {
        string input = JsonlCorpus(documents: 30);
        Prepare(Out(), [input], o => o with { ValDocuments = 5 });
        var ds = Dataset.Open(Out());
        Assert.Equal(new[] { "a", "b" }.Order(), ds.Domains.Order());
        Assert.Equal(Gpt2Tokenizer.Default.Hash, ds.TokenizerHash);
        var m = ds.Manifest;
        Assert.Equal(CorpusSha(input), m.Sources![0].Sha256);
        long bytes = 0;
        foreach (var split in new[] { "train", "val" })
        {
            var s = m.Splits[split];
            long tokens = ReadSplit(Out(), split).Length;
            Assert.Equal(tokens, s.Tokens);
            Assert.Equal(tokens, s.Domains!.Values.Sum(d => d.Tokens));
            Assert.Equal(s.Documents, s.Domains!.Values.Sum(d => d.Documents));
            bytes += s.Bytes;
        }
        long expectedBytes = File.ReadLines(input).Sum(l => (long)Encoding.UTF8.GetByteCount(JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!));
        Assert.Equal(expectedBytes, bytes);
        Assert.Equal(5, ds.Counts["val"].Documents);
    }

    private static string CorpusSha(string path) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));

    [Fact]
    public void The_document_index_maps_token_ranges_to_domains_and_bytes()
    {
        string input = JsonlCorpus(documents: 25);
        Prepare(Out(), [input], o => o with { ValDocuments = 3, ShardTokens = 1024 });
        var ds = Dataset.Open(Out());
        var tok = Gpt2Tokenizer.Default;
        var byText = File.ReadLines(input).Select(l => JsonDocument.Parse(l).RootElement)
            .ToDictionary(e => e.GetProperty("text").GetString()!, e => e.GetProperty("domain").GetString()!);
        foreach (var split in new[] { "train", "val" })
        {
            var index = ds.Index(split);
            var tokens = ReadSplit(Out(), split);
            Assert.Equal(tokens.Length, index.Start[^1] + index.Tokens[^1]);
            for (int d = 0; d < index.Count; d++)
            {
                var span = tokens.AsSpan((int)index.Start[d], index.Tokens[d]);
                Assert.Equal(Gpt2Tokenizer.EndOfText, span[0]);
                string text = tok.Decode(span[1..]);
                Assert.Equal(byText[text], ds.Domains[index.DomainIds[d]]);
                Assert.Equal(Encoding.UTF8.GetByteCount(text), index.Bytes[d]);
                Assert.Equal(d, index.DocumentAt(index.Start[d] + index.Tokens[d] - 1));
            }
        }
    }

    [Fact]
    public void Shards_are_full_except_the_last_and_documents_may_cross_shard_boundaries()
    {
        string input = JsonlCorpus(documents: 60);
        Prepare(Out(), [input], o => o with { ValFraction = 0, ShardTokens = 1024 });
        var shards = Directory.GetFiles(Out(), "train_*.bin").Order().ToArray();
        Assert.True(shards.Length >= 2);
        Assert.Equal("train_000000.bin", Path.GetFileName(shards[0]));
        foreach (var s in shards[..^1]) Assert.Equal(1024, TokenShard.ReadHeader(s).Count);
        Assert.Empty(Directory.GetFiles(Out(), "val_*.bin"));
    }

    [Fact]
    public void The_same_seed_gives_identical_datasets_and_another_seed_a_different_split()
    {
        string input = JsonlCorpus(documents: 40);
        Prepare(Out("a"), [input], o => o with { Seed = 5 });
        Prepare(Out("b"), [input], o => o with { Seed = 5 });
        Prepare(Out("c"), [input], o => o with { Seed = 6 });
        foreach (var f in Directory.GetFiles(Out("a")).Select(Path.GetFileName))
            Assert.Equal(File.ReadAllBytes(Path.Combine(Out("a"), f!)), File.ReadAllBytes(Path.Combine(Out("b"), f!)));
        Assert.NotEqual(ReadSplit(Out("a"), "val"), ReadSplit(Out("c"), "val"));
    }

    [Fact]
    public void Text_files_split_into_documents_by_blank_lines_when_asked()
    {
        string input = Write("p.txt", "First paragraph\nstill first.\n\n\n  \nSecond paragraph.\r\n\r\nThird.\n");
        var r = Prepare(Out(), [input], o => o with { ValFraction = 0, Input = new InputOptions { Split = DocumentSplit.BlankLine }, Shuffle = false });
        Assert.Equal(3, r.Train.Documents);
        var text = Gpt2Tokenizer.Default.Decode(ReadSplit(Out(), "train").Select(t => t).ToArray());
        Assert.Equal("<|endoftext|>First paragraph\nstill first.<|endoftext|>Second paragraph.<|endoftext|>Third.", text);
    }

    [Fact]
    public void A_whole_file_is_one_document_named_after_the_file()
    {
        string input = Write("austen.txt", "Emma Woodhouse, handsome, clever, and rich.\n\nAnother paragraph.");
        var r = Prepare(Out(), [input], o => o with { ValFraction = 0 });
        Assert.Equal(1, r.Train.Documents);
        Assert.Equal(["austen"], Dataset.Open(Out()).Domains);
    }

    [Fact]
    public void Directories_globs_and_gzip_files_are_read()
    {
        Write("dir/a.txt", "alpha text");
        Write("dir/sub/b.md", "beta text");
        Write("dir/skip.bin", "not text by extension");
        using (var gz = new GZipStream(File.Create(Path.Combine(Dir, "dir", "c.txt.gz")), CompressionLevel.Fastest))
            gz.Write("gamma text"u8);
        Assert.Equal(3, Prepare(Out("d"), [Path.Combine(Dir, "dir")], o => o with { ValFraction = 0 }).Train.Documents);
        Assert.Equal(2, Prepare(Out("g"), [Path.Combine(Dir, "dir", "**", "*.txt*")], o => o with { ValFraction = 0 }).Train.Documents);
    }

    [Fact]
    public void Stdin_content_is_an_input()
    {
        var file = new InputFile("-") { Content = () => "from stdin"u8.ToArray() };
        var r = CorpusPreparer.Prepare(new PrepareOptions { Inputs = [file], OutputDirectory = Out(), ValFraction = 0 });
        Assert.Equal(["stdin"], Dataset.Open(Out()).Domains);
        Assert.Equal(1, r.Train.Documents);
    }

    [Fact]
    public void The_mixed_recipe_keeps_all_noisy_documents_and_about_the_clean_share()
    {
        var (inputs, share) = Recipes.Resolve("builtin-mixed", Dir, 0.3);
        CorpusPreparer.Prepare(new PrepareOptions { Inputs = inputs, OutputDirectory = Out(), CleanShare = share, ValFraction = 0 });
        var m = Dataset.Open(Out()).Manifest.Splits["train"].Domains!;
        long clean = new[] { "austen", "kjv", "books" }.Sum(d => m.TryGetValue(d, out var x) ? x.Tokens : 0);
        long total = m.Values.Sum(d => d.Tokens);
        Assert.InRange((double)clean / total, 0.25, 0.36);
        Assert.Equal(Recipes.BuiltinDocuments("noisy").Count, m.Where(d => d.Key is "ham" or "spam" or "fortunes").Sum(d => d.Value.Documents));
    }

    [Fact]
    public void Fetched_recipes_without_fetched_data_name_the_missing_file_and_the_fix()
    {
        var e = Assert.Throws<FileNotFoundException>(() => Recipes.Resolve("clean", Path.Combine(Dir, "nodata")));
        Assert.Contains("eslm data fetch clean", e.Message);
    }
}
