using System.Text.Json;
using Eslm.Cli;
using Eslm.Data;
using Eslm.Tokenization;
using Xunit;

namespace Eslm.Tests.Data;

/// <summary>One text file still gives a validation split (each document's tail), said in the summary and the manifest;
/// evaluating an empty split is an error, not NaN.</summary>
public class DocumentTailsTests : DataTestBase
{
    private static (int Code, string Out, string Err) Run(params string[] args) => Eslm.Tests.Cli.CliHarness.Run(args);

    private string Book() => Write("book.txt", string.Join("\n\n",
        Enumerable.Range(0, 60).Select(p => $"Paragraph {p}. " + string.Join(' ', Enumerable.Range(0, 20).Select(w => $"word{(p * 7 + w) % 31}")) + ".")));

    [Fact]
    public void One_text_file_holds_out_its_tail_at_a_line_break()
    {
        string output = Path.Combine(Dir, "ds");
        var r = Prepare(output, [Book()]);
        Assert.Equal("document-tails", r.ValHoldout);
        Assert.Equal(1, r.Train.Documents);
        Assert.Equal(1, r.Val.Documents);
        Assert.InRange(r.Val.Tokens, 2, r.Train.Tokens / 5);
        string val = Gpt2Tokenizer.Default.Decode(ReadSplit(output, "val"));
        Assert.StartsWith("<|endoftext|>Paragraph ", val);
        string train = Gpt2Tokenizer.Default.Decode(ReadSplit(output, "train"));
        Assert.Equal(File.ReadAllText(Path.Combine(Dir, "book.txt")), train["<|endoftext|>".Length..] + val["<|endoftext|>".Length..]);
        Assert.Equal(new FileInfo(Path.Combine(Dir, "book.txt")).Length, r.Train.Bytes + r.Val.Bytes);
        using var manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(output, "manifest.json")));
        Assert.Equal("document-tails", manifest.RootElement.GetProperty("val_holdout").GetString());
    }

    [Fact]
    public void Enough_documents_are_still_held_out_whole()
    {
        var r = Prepare(Path.Combine(Dir, "ds"), [JsonlCorpus(documents: 30)], o => o with { ValFraction = 0.2 });
        Assert.Equal("documents", r.ValHoldout);
        Assert.Equal(6, r.Val.Documents);
    }

    [Fact]
    public void Prepare_says_when_it_held_out_document_tails()
    {
        var (code, output, _) = Run("prepare", Book(), "-o", Path.Combine(Dir, "cli"));
        Assert.Equal(0, code);
        Assert.Contains("document-tails", output);
        Assert.DoesNotContain("val 0 documents", output);
    }

    [Fact]
    public void Evaluating_an_empty_validation_split_is_an_error()
    {
        string output = Path.Combine(Dir, "noval");
        Prepare(output, [Book()], o => o with { ValFraction = 0 });
        var (code, _, err) = Run("eval", "--checkpoint", "preset:tiny", "--data", output);
        Assert.NotEqual(0, code);
        Assert.StartsWith("eslm: error: ", err);
        Assert.Contains("nothing to evaluate", err);
        Assert.Single(err.Trim().Split('\n'));
    }
}
