using Eslm.Data;
using Xunit;

namespace Eslm.Tests.Data;

/// <summary>Every bad input is a one-line error naming the file and the problem, and leaves nothing behind.</summary>
public class PrepareBadInputTests : DataTestBase
{
    private string Out => Path.Combine(Dir, "out");

    private T Fails<T>(Action action) where T : Exception
    {
        var e = Assert.Throws<T>(action);
        Assert.DoesNotContain('\n', e.Message);
        Assert.False(Directory.Exists(Out), "nothing may be left in the output folder");
        Assert.Empty(Directory.GetDirectories(Dir, ".out.tmp-*"));
        return e;
    }

    [Fact]
    public void A_missing_file_is_named() =>
        Assert.Contains("missing.txt", Fails<FileNotFoundException>(() => Prepare(Out, [Path.Combine(Dir, "missing.txt")])).Message);

    [Fact]
    public void A_directory_without_text_files_is_named()
    {
        WriteBytes("empty-dir/image.png", [1, 2, 3]);
        Assert.Contains("no text files", Fails<InvalidDataException>(() => Prepare(Out, [Path.Combine(Dir, "empty-dir")])).Message);
    }

    [Fact]
    public void A_binary_file_is_rejected()
    {
        string path = WriteBytes("blob.txt", [0x7F, 0x45, 0x4C, 0x46, 0, 0, 1]);
        var e = Fails<InvalidDataException>(() => Prepare(Out, [path]));
        Assert.Contains("blob.txt", e.Message);
        Assert.Contains("binary", e.Message);
    }

    [Fact]
    public void Invalid_utf8_is_an_error_naming_the_byte_offset()
    {
        string path = WriteBytes("latin1.txt", [(byte)'c', (byte)'a', (byte)'f', 0xE9, (byte)'!']);
        var e = Fails<InvalidDataException>(() => Prepare(Out, [path]));
        Assert.Contains("latin1.txt: invalid UTF-8 at byte 3", e.Message);
        Assert.Contains("--invalid-utf8 replace", e.Message);
    }

    [Fact]
    public void Invalid_utf8_becomes_replacement_characters_when_asked()
    {
        string path = WriteBytes("latin1.txt", [(byte)'c', (byte)'a', (byte)'f', 0xE9, (byte)'!']);
        var r = Prepare(Out, [path], o => o with { ValFraction = 0, Input = new InputOptions { InvalidUtf8 = InvalidUtf8.Replace } });
        Assert.Equal("<|endoftext|>caf\uFFFD!", Eslm.Tokenization.Gpt2Tokenizer.Default.Decode(ReadSplit(Out, "train")));
        Assert.Equal(1, r.Train.Documents);
    }

    [Fact]
    public void An_empty_input_is_rejected()
    {
        string path = Write("empty.txt", "  \n\n ");
        Assert.Contains("empty.txt: empty input", Fails<InvalidDataException>(() => Prepare(Out, [path])).Message);
    }

    [Fact]
    public void A_jsonl_line_without_the_field_is_reported_with_file_and_line()
    {
        string path = Write("c.jsonl", "{\"text\": \"ok\"}\n\n{\"body\": \"no text field\"}\n");
        Assert.Contains("c.jsonl:3: no string field 'text'", Fails<InvalidDataException>(() => Prepare(Out, [path])).Message);
    }

    [Fact]
    public void A_jsonl_line_that_is_not_json_is_reported_with_file_and_line()
    {
        string path = Write("c.jsonl", "{\"text\": \"ok\"}\n{\"text\": oops}\n");
        Assert.Contains("c.jsonl:2: not JSON", Fails<InvalidDataException>(() => Prepare(Out, [path])).Message);
    }

    [Fact]
    public void A_jsonl_field_can_be_chosen()
    {
        string path = Write("c.jsonl", "{\"body\": \"hello\", \"domain\": \"mail\"}\n");
        var r = Prepare(Out, [path], o => o with { ValFraction = 0, Input = new InputOptions { Field = "body" } });
        Assert.Equal(1, r.Train.Documents);
        Assert.Equal(["mail"], Dataset.Open(Out).Domains);
    }

    [Fact]
    public void An_existing_dataset_is_not_overwritten_without_overwrite()
    {
        string input = Write("a.txt", "some text");
        Prepare(Out, [input], o => o with { ValFraction = 0 });
        var before = File.ReadAllBytes(Path.Combine(Out, "manifest.json"));
        var e = Assert.Throws<IOException>(() => Prepare(Out, [Write("b.txt", "other text")], o => o with { ValFraction = 0 }));
        Assert.Contains("already holds a dataset (use --overwrite", e.Message);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(Out, "manifest.json")));
        Prepare(Out, [Path.Combine(Dir, "b.txt")], o => o with { ValFraction = 0, Overwrite = true });
        Assert.NotEqual(before, File.ReadAllBytes(Path.Combine(Out, "manifest.json")));
    }

    [Fact]
    public void A_failure_after_valid_inputs_leaves_no_partial_dataset()
    {
        string good = Write("good.txt", "fine text");
        string bad = WriteBytes("bad.txt", [0x61, 0xFF, 0xFE]);
        Fails<InvalidDataException>(() => Prepare(Out, [good, bad]));
    }

    [Fact]
    public void A_bad_gzip_file_is_named()
    {
        string path = WriteBytes("x.txt.gz", [1, 2, 3, 4, 5]);
        Assert.Contains("x.txt.gz: not a valid gzip file", Fails<InvalidDataException>(() => Prepare(Out, [path])).Message);
    }

    [Fact]
    public void A_glob_that_matches_nothing_is_an_error() =>
        Assert.Contains("no files match", Fails<FileNotFoundException>(() => Prepare(Out, [Path.Combine(Dir, "*.nothing")])).Message);
}
