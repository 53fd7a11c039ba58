using System.Text;
using Eslm.Data;
using Eslm.Tests.Cli;
using Xunit;

namespace Eslm.Tests.Data;

/// <summary>Issue 21, defect 8 and the UTF-16 friction: devices, endless streams and UTF-16 text end in one clear line.</summary>
public class PrepareInputLimitTests : DataTestBase
{
    private string Out => Path.Combine(Dir, "out");

    /// <summary>An endless stream of one byte (as `yes` or /dev/zero on standard input).</summary>
    private sealed class Endless(byte value) : Stream
    {
        public override int Read(byte[] buffer, int offset, int count) { buffer.AsSpan(offset, count).Fill(value); return count; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Theory]
    [InlineData("/dev/zero")]
    [InlineData("/dev/urandom")]
    public void A_device_is_refused_at_once_as_not_a_regular_file_without_naming_options_prepare_lacks(string device)
    {
        if (!File.Exists(device)) return; // not on this system
        var r = CliHarness.Run("prepare", device, "-o", Out);
        CliHarness.AssertOneLineError(r, 1, device, "not a regular file");
        Assert.DoesNotContain("--batch", r.Err);
        Assert.DoesNotContain("--seq", r.Err);
        Assert.False(Directory.Exists(Out));
    }

    [Fact]
    public void Endless_standard_input_stops_at_the_limit_naming_the_option_that_raises_it()
    {
        var e = Assert.Throws<InvalidDataException>(() => InputLimit.ReadAll(new Endless((byte)'y'), 3 << 20, "<stdin>", size: null, text: true));
        Assert.Contains("<stdin>: larger than 3 MiB", e.Message);
        Assert.Contains("--max-input-mb", e.Message);
    }

    [Fact]
    public void Zeros_on_standard_input_are_binary_data_not_a_stream_too_long()
    {
        var e = Assert.Throws<InvalidDataException>(() => InputLimit.ReadAll(new Endless(0), InputLimit.MaxBytes, "<stdin>", size: null, text: true));
        Assert.Equal("<stdin>: binary file (NUL byte at offset 0), not text", e.Message);
    }

    [Fact]
    public void A_file_above_the_limit_is_refused_before_it_is_read()
    {
        string big = Write("big.txt", new string('a', (1 << 20) + 1));
        var e = Assert.Throws<InvalidDataException>(() => Prepare(Out, [big], o => o with { MaxInputBytes = 1 << 20 }));
        Assert.Contains("big.txt: larger than 1 MiB, the limit of --max-input-mb", e.Message);
        Assert.False(Directory.Exists(Out));
    }

    [Fact]
    public void A_gzip_file_that_expands_beyond_the_limit_is_refused_naming_it()
    {
        var memory = new MemoryStream();
        using (var gz = new System.IO.Compression.GZipStream(memory, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            gz.Write(Encoding.ASCII.GetBytes(new string('a', 3 << 20)));
        string path = WriteBytes("bomb.txt.gz", memory.ToArray());
        var e = Assert.Throws<InvalidDataException>(() => Prepare(Out, [path], o => o with { MaxInputBytes = 1 << 20 }));
        Assert.StartsWith($"{path}: larger than 1 MiB", e.Message);
    }

    [Theory]
    [InlineData("utf-16LE with BOM")]
    [InlineData("utf-16BE with BOM")]
    [InlineData("utf-16LE without BOM")]
    public void Utf16_text_is_named_as_such_with_the_fix_instead_of_called_binary(string kind)
    {
        var encoding = kind.StartsWith("utf-16LE") ? Encoding.Unicode : Encoding.BigEndianUnicode;
        var bytes = encoding.GetBytes("Hello, this is text saved by a Windows editor.\n");
        if (kind.EndsWith("with BOM")) bytes = [.. encoding.GetPreamble(), .. bytes];
        string path = WriteBytes("notes.txt", bytes);
        var e = Assert.Throws<InvalidDataException>(() => Prepare(Out, [path]));
        Assert.Equal($"{path}: UTF-16 text: convert it to UTF-8 (e.g. iconv -f UTF-16 -t UTF-8 FILE > FILE.utf8.txt)", e.Message);
    }
}
