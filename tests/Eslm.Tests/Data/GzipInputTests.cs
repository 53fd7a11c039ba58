using System.IO.Compression;
using System.Text;
using Eslm.Data;
using Xunit;

namespace Eslm.Tests.Data;

/// <summary>A .gz input is read completely or refused: never only its readable prefix.</summary>
public class GzipInputTests : DataTestBase
{
    private static byte[] Gzip(string text)
    {
        using var memory = new MemoryStream();
        using (var gz = new GZipStream(memory, CompressionLevel.Optimal)) gz.Write(Encoding.UTF8.GetBytes(text));
        return memory.ToArray();
    }

    private static readonly string Text = string.Concat(Enumerable.Range(0, 2000).Select(i => $"line {i} of a long document\n"));

    [Fact]
    public void A_truncated_gzip_file_is_an_error_naming_it()
    {
        byte[] whole = Gzip(Text);
        string path = WriteBytes("cut.txt.gz", whole[..(whole.Length * 2 / 3)]);
        var e = Assert.Throws<InvalidDataException>(() => Prepare(Path.Combine(Dir, "out"), [path]));
        Assert.Contains("cut.txt.gz: truncated or corrupt gzip file", e.Message);
        Assert.False(Directory.Exists(Path.Combine(Dir, "out")));
    }

    [Fact]
    public void A_gzip_file_missing_only_its_trailer_is_an_error()
    {
        byte[] whole = Gzip(Text);
        Assert.Throws<InvalidDataException>(() => GzipInput.Decompress(whole[..^4], "x.gz"));
    }

    [Fact]
    public void Garbage_after_a_gzip_member_is_an_error()
    {
        byte[] padded = [.. Gzip(Text), .. "not gzip at all, junk"u8.ToArray()];
        Assert.Contains("x.gz", Assert.Throws<InvalidDataException>(() => GzipInput.Decompress(padded, "x.gz")).Message);
    }

    [Fact]
    public void Whole_and_multi_member_gzip_files_decompress_completely()
    {
        Assert.Equal(Text, Encoding.UTF8.GetString(GzipInput.Decompress(Gzip(Text), "a.gz")));
        byte[] two = [.. Gzip("first member\n"), .. Gzip(Text)];
        Assert.Equal("first member\n" + Text, Encoding.UTF8.GetString(GzipInput.Decompress(two, "b.gz")));
    }

    [Fact]
    public void Crc32_matches_the_standard_check_value() => Assert.Equal(0xCBF43926u, Eslm.IO.GzipTrailer.Crc32("123456789"u8));

    [Fact]
    public void A_file_written_by_the_gzip_tool_verifies()
    {
        // `printf 'hello, eslm\n' | gzip -n -9`: its trailer's CRC (0x5aedad9b) was written by zlib, not by this code.
        byte[] stored = Convert.FromHexString("1f8b0800000000000203cb48cdc9c9d751482dcec9e502009baded5a0c000000");
        Assert.Equal("hello, eslm\n", Encoding.UTF8.GetString(GzipInput.Decompress(stored, "hello.gz")));
        Assert.Equal(0x5aedad9bu, Eslm.IO.GzipTrailer.Crc32("hello, eslm\n"u8));
    }
}
