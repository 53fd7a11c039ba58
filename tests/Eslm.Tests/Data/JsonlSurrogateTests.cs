using Eslm.Data;
using Eslm.Tokenization;
using Xunit;

namespace Eslm.Tests.Data;

/// <summary>
/// A JSONL string may escape a lone UTF-16 surrogate ("\ud800"): valid JSON, and what Python's json.dumps writes for
/// text decoded with surrogateescape. Python's json.loads reads it and tiktoken encodes each lone surrogate as U+FFFD.
/// Eslm reads it the same way with --invalid-utf8 replace; by default it is an error naming the file and line (as invalid
/// UTF-8 is), not a bare System.Text.Json message that names neither.
/// </summary>
public class JsonlSurrogateTests : DataTestBase
{
    private string Out => Path.Combine(Dir, "out");

    [Theory]
    [InlineData("{\"text\":\"a\\ud800b\"}\n")]
    [InlineData("{\"text\":\"\\udc00\\ud800\"}\n")]
    [InlineData("{\"text\":\"ok\",\"domain\":\"\\udc00\"}\n")]
    public void A_lone_surrogate_escape_is_an_error_naming_file_and_line(string line)
    {
        string path = Write("s.jsonl", "{\"text\":\"fine\"}\n" + line);
        var e = Assert.Throws<InvalidDataException>(() => Prepare(Out, [path]));
        Assert.Contains("s.jsonl:2", e.Message);
        Assert.Contains("surrogate", e.Message);
        Assert.Contains("--invalid-utf8 replace", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.False(Directory.Exists(Out));
    }

    [Fact]
    public void A_gzipped_jsonl_file_is_named_too()
    {
        using (var gz = new System.IO.Compression.GZipStream(File.Create(Path.Combine(Dir, "s.jsonl.gz")), System.IO.Compression.CompressionLevel.Fastest))
            gz.Write("{\"text\":\"a\\ud800\"}\n"u8);
        var e = Assert.Throws<InvalidDataException>(() => Prepare(Out, [Path.Combine(Dir, "s.jsonl.gz")]));
        Assert.Contains("s.jsonl.gz:1", e.Message);
    }

    [Fact]
    public void With_replace_each_lone_surrogate_becomes_U_FFFD_as_in_python_and_tiktoken()
    {
        string path = Write("s.jsonl", "{\"text\":\"a\\ud800b \\udc00\\ud800 \\ud83d\\ude00 \\\"q\\\\u\\/\\n\\t\",\"domain\":\"d\\udfff\"}\n");
        var r = Prepare(Out, [path], o => o with { ValFraction = 0, Input = new InputOptions { InvalidUtf8 = InvalidUtf8.Replace } });
        string expected = "a\uFFFDb \uFFFD\uFFFD \U0001F600 \"q\\u/\n\t";
        var tokens = ReadSplit(Out, "train");
        Assert.Equal("<|endoftext|>" + expected, Gpt2Tokenizer.Default.Decode(tokens));
        Assert.Equal(Gpt2Tokenizer.Default.Encode(expected), tokens[1..]);
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(expected), r.Train.Bytes);
        Assert.Equal(["d\uFFFD"], Dataset.Open(Out).Domains);
    }
}
