using System.Text;
using Eslm.Cli;
using Eslm.Data;
using Xunit;

namespace Eslm.Tests.Data;

/// <summary>Text given where tokens are expected is refused (pointing to eslm prepare) instead of being read as uint16 ids.</summary>
public class TokenFileCheckTests : DataTestBase
{
    private static (int Code, string Err) Run(params string[] args)
    {
        var saved = Console.Error;
        var e = new StringWriter();
        Console.SetError(e);
        try { return (Program.Main(args), e.ToString()); }
        finally { Console.SetError(saved); }
    }

    private static void AssertOneLineError((int Code, string Err) r, string file, string problem)
    {
        Assert.NotEqual(0, r.Code);
        string err = r.Err.TrimEnd('\n');
        Assert.DoesNotContain('\n', err);
        Assert.StartsWith("eslm: error: ", err);
        Assert.Contains(file, err);
        Assert.Contains(problem, err);
    }

    private string Notes(string name = "notes.txt") => Write(name, string.Concat(Enumerable.Repeat("The quick brown fox jumps over the lazy dog.\n", 200)));

    [Fact]
    public void Train_with_a_text_file_as_data_points_to_prepare()
    {
        string notes = Notes(), outDir = Path.Combine(Dir, "run");
        AssertOneLineError(Run("train", "--model", "tiny", "--data", notes, "--steps", "1", "--out", outDir), notes, "eslm prepare");
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void Train_with_a_text_file_as_validation_data_points_to_prepare()
    {
        string notes = Notes("val.md");
        AssertOneLineError(Run("train", "--model", "tiny", "--data", "random:50257", "--val-data", notes, "--steps", "1", "--out", Path.Combine(Dir, "run")),
            notes, "eslm prepare");
    }

    [Fact]
    public void Text_content_under_a_bin_name_is_still_recognised_as_text()
    {
        string notes = Notes("notes.bin"); // even length, so it would open as raw uint16 ids
        Assert.Equal(0, new FileInfo(notes).Length % 2);
        var e = Assert.Throws<InvalidDataException>(() => TokenSequence.Open(notes));
        Assert.Contains("UTF-8 text", e.Message);
        Assert.Contains("eslm prepare", e.Message);
    }

    [Fact]
    public void Eval_with_a_text_file_as_data_points_to_prepare()
    {
        string notes = Notes();
        AssertOneLineError(Run("eval", "--checkpoint", "preset:tiny", "--data", notes), notes, "eslm prepare");
    }

    [Fact]
    public void A_headerless_token_file_must_be_named_bin()
    {
        string path = WriteBytes("tokens.dat", Enumerable.Range(0, 100).SelectMany(i => new[] { (byte)i, (byte)0 }).ToArray());
        Assert.Contains("*.bin", Assert.Throws<InvalidDataException>(() => TokenSequence.Open(path)).Message);
    }

    [Fact]
    public void Raw_uint16_ids_and_llm_c_shards_are_accepted()
    {
        string raw = WriteBytes("raw.bin", Enumerable.Range(0, 100).SelectMany(i => new[] { (byte)(i * 37), (byte)(i % 196) }).ToArray());
        using (var s = TokenSequence.Open(raw)) Assert.Equal(100, s.Count);
        string shard = Path.Combine(Dir, "shard.bin");
        TokenShard.Write(shard, Encoding.ASCII.GetBytes("plain ascii ids").Select(b => (ushort)b).ToArray());
        using (var s = TokenSequence.Open(shard)) Assert.Equal(15, s.Count);
    }
}
