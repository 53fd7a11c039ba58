using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Eslm.Data;
using Eslm.Tokenization;
using Xunit;

namespace Eslm.Tests.Data;

/// <summary>
/// Issue 21 friction: plain-text inputs are read as streams (<see cref="StreamedText"/>, <see cref="TextPieces"/>,
/// <see cref="DocumentReader.Paragraphs"/>); what they give must equal reading the file whole, at any read size.
/// </summary>
public class StreamedTextTests : DataTestBase
{
    private static readonly string[] s_parts =
        ["\n", "\n\n\n", "   ", "\r\n", " \r\n ", "\r\n\r\n", "日本語", "😀", "naïve", "'s", "'ll", "don't", "123", "!!", "\t", "\u00A0",
         "\u2028", " a", "word", " ", "  \n  ", "x😀y", "é"];

    /// <summary>Text made of runs of newlines and spaces, CRLF, multi-byte and 4-byte (surrogate pair) characters.</summary>
    private static string Tricky(int seed, int parts = 4000)
    {
        var rng = new Random(seed);
        var sb = new StringBuilder();
        for (int i = 0; i < parts; i++) sb.Append(s_parts[rng.Next(s_parts.Length)]);
        return sb.ToString();
    }

    /// <summary>The UTF-8 of <paramref name="text"/> after a byte-order mark, with invalid bytes (a lone continuation, a cut
    /// sequence, an overlong form) spread through it when <paramref name="invalid"/>.</summary>
    private static byte[] TrickyBytes(string text, bool invalid)
    {
        var bytes = new List<byte> { 0xEF, 0xBB, 0xBF };
        bytes.AddRange(Encoding.UTF8.GetBytes(text));
        if (invalid) foreach (int at in new[] { 5000, 3001, 777, 10 }) bytes.InsertRange(Math.Min(at, bytes.Count), new byte[][] { [0x80], [0xE6, 0x97], [0xC0, 0xAF], [0xF0, 0x9F, 0x98] }[at % 4]);
        return bytes.ToArray();
    }

    private static string ReadChunks(string path, InvalidUtf8 mode, int chunkBytes, out StreamedText reader)
    {
        reader = StreamedText.Of(new InputFile(path), null, mode, InputLimit.DefaultBytes, chunkBytes);
        return string.Concat(reader.Chunks());
    }

    [Theory]
    [InlineData(false, InvalidUtf8.Error)]
    [InlineData(true, InvalidUtf8.Replace)]
    [InlineData(false, InvalidUtf8.Replace)]
    public void Chunks_concatenated_are_the_text_the_whole_file_decodes_to(bool invalid, InvalidUtf8 mode)
    {
        byte[] bytes = TrickyBytes(Tricky(1), invalid);
        string path = WriteBytes("t.txt", bytes);
        string whole = TextDecoding.Decode(bytes, path, mode);
        foreach (int chunk in new[] { 1, 2, 3, 4, 5, 7, 64, 1 << 20 })
        {
            Assert.Equal(whole, ReadChunks(path, mode, chunk, out var reader));
            Assert.Equal((Convert.ToHexStringLower(SHA256.HashData(bytes)), (long)bytes.Length), (reader.Sha256, reader.StoredBytes));
        }
    }

    [Fact]
    public void Invalid_utf8_is_named_at_the_byte_whole_decoding_names()
    {
        byte[] bytes = TrickyBytes(Tricky(2), invalid: true);
        string path = WriteBytes("bad.txt", bytes);
        string expected = Assert.Throws<InvalidDataException>(() => TextDecoding.Decode(bytes, path, InvalidUtf8.Error)).Message;
        foreach (int chunk in new[] { 1, 3, 5, 1 << 20 })
            Assert.Equal(expected, Assert.Throws<InvalidDataException>(() => ReadChunks(path, InvalidUtf8.Error, chunk, out _)).Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(50)]
    public void Pieces_tokenize_to_the_tokens_of_the_whole_text(int pieceChars)
    {
        var tokenizer = Gpt2Tokenizer.Default;
        string text = Tricky(3) + "   \n\n " + Tricky(4, 300) + "  ";
        var rng = new Random(pieceChars);
        var chunks = new List<string>();
        for (int i = 0; i < text.Length;) { int n = Math.Min(1 + rng.Next(9), text.Length - i); chunks.Add(text.Substring(i, n)); i += n; }
        var pieces = TextPieces.Cut(chunks, pieceChars).ToList();
        Assert.True(pieces.Count > 10, $"only {pieces.Count} pieces");
        Assert.Equal(text, string.Concat(pieces));
        Assert.Equal(tokenizer.Encode(text), pieces.SelectMany(p => tokenizer.Encode(p)).ToArray());
    }

    [Fact]
    public void Paragraphs_of_a_text_in_small_chunks_are_its_paragraphs()
    {
        string text = Tricky(5);
        var whole = DocumentReader.SplitParagraphs(text).ToList();
        Assert.True(whole.Count > 10);
        Assert.Equal(whole, DocumentReader.Paragraphs(text.Select(c => c.ToString())).ToList());
        Assert.Equal(["a\r\nb", "c"], DocumentReader.Paragraphs(["a\r", "\nb\r\n", " \t\r\n\nc"]).ToList());
    }

    [Theory]
    [InlineData(DocumentSplit.File, false, 1)]
    [InlineData(DocumentSplit.File, true, 1)]
    [InlineData(DocumentSplit.File, false, 5)]
    [InlineData(DocumentSplit.BlankLine, false, 1)]
    [InlineData(DocumentSplit.BlankLine, true, 2)]
    public void A_streamed_file_gives_the_dataset_its_bytes_read_whole_give(DocumentSplit split, bool invalid, int files)
    {
        var paths = Enumerable.Range(0, files).Select(f => WriteBytes($"in/f{f}.txt", TrickyBytes(Tricky(10 + f, 6000), invalid))).ToList();
        var input = new InputOptions { Split = split, InvalidUtf8 = invalid ? InvalidUtf8.Replace : InvalidUtf8.Error };
        string Run(string name, InputOptions options, bool whole)
        {
            string output = Path.Combine(Dir, name);
            Prepare(output, paths, o => o with
            {
                Input = options,
                Inputs = paths.Select(p => whole ? new InputFile(p) { Content = () => File.ReadAllBytes(p) } : new InputFile(p)).ToList(), // content is read whole
            });
            return string.Join("\n", Directory.EnumerateFiles(output).Where(f => !f.EndsWith(".lock")).Order()
                .Select(f => Path.GetFileName(f) + " " + Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))));
        }
        string expected = Run("whole", input, whole: true);
        Assert.Contains("train_000001.bin", expected); // more than one shard
        Assert.Equal(expected, Run("streamed", input, whole: false));
        Assert.Equal(expected, Run("tiny", input with { StreamChunkBytes = 3, PieceChars = 7 }, whole: false));
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var memory = new MemoryStream();
        using (var gz = new System.IO.Compression.GZipStream(memory, System.IO.Compression.CompressionLevel.Fastest)) gz.Write(bytes);
        return memory.ToArray();
    }

    /// <summary>The dataset's files (name and SHA-256 of each) for inputs made by <paramref name="input"/> from the paths.</summary>
    private string Dataset(string name, IReadOnlyList<string> paths, InputOptions options, Func<string, InputFile> input)
    {
        string output = Path.Combine(Dir, name);
        Prepare(output, paths, o => o with { Input = options, Inputs = paths.Select(input).ToList() });
        return string.Join("\n", Directory.EnumerateFiles(output).Where(f => !f.EndsWith(".lock")).Order()
            .Select(f => Path.GetFileName(f) + " " + Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))));
    }

    [Theory]
    [InlineData(DocumentSplit.File, false)]
    [InlineData(DocumentSplit.BlankLine, true)]
    public void Gzip_and_standard_input_stream_to_the_dataset_of_their_bytes_read_whole(DocumentSplit split, bool multiMember)
    {
        byte[] text = TrickyBytes(Tricky(20, 6000), invalid: false);
        // two members: the trailer's CRC covers only the last, so the streamed check decompresses the tail again
        byte[] gz = multiMember ? [.. Gzip(text[..1001]), .. Gzip(text[1001..])] : Gzip(text);
        string gzPath = WriteBytes("in/g.txt.gz", gz);
        var options = new InputOptions { Split = split };
        var tiny = options with { StreamChunkBytes = 3, PieceChars = 7 };
        string expected = Dataset("gz-whole", [gzPath], options, p => new InputFile(p) { Content = () => File.ReadAllBytes(p) });
        Assert.Equal(expected, Dataset("gz-streamed", [gzPath], options, p => new InputFile(p)));
        Assert.Equal(expected, Dataset("gz-tiny", [gzPath], tiny, p => new InputFile(p)));
        string stdin = Dataset("stdin-whole", ["-"], options, _ => new InputFile("-") { Content = () => text });
        Assert.Equal(stdin, Dataset("stdin-streamed", ["-"], options, _ => new InputFile("-") { OpenStream = () => new MemoryStream(text) }));
        Assert.Equal(stdin, Dataset("stdin-tiny", ["-"], tiny, _ => new InputFile("-") { OpenStream = () => new MemoryStream(text) }));
    }

    [Fact]
    public void A_streamed_gzip_file_keeps_the_checks_of_one_read_whole()
    {
        byte[] gz = Gzip(TrickyBytes(Tricky(21), invalid: false));
        var tiny = new InputOptions { StreamChunkBytes = 5, PieceChars = 3 };
        foreach (byte[] bad in new[] { gz[..(gz.Length * 2 / 3)], gz[..^4], [.. gz, .. "junk after the member"u8.ToArray()], gz[..10], [0x1f, 0x8b, 8, 0, 1, 2] })
        {
            string path = WriteBytes("bad.txt.gz", bad);
            string expected = Assert.Throws<InvalidDataException>(() => GzipInput.Decompress(bad, path)).Message;
            Assert.Equal(expected, Assert.Throws<InvalidDataException>(() => Prepare(Path.Combine(Dir, "out"), [path], o => o with { Input = tiny })).Message);
        }
        string big = WriteBytes("big.txt.gz", Gzip(new byte[(1 << 20) + 1].Select(_ => (byte)'a').ToArray()));
        Assert.Contains("big.txt.gz: larger than 1 MiB, the limit of --max-input-mb",
            Assert.Throws<InvalidDataException>(() => Prepare(Path.Combine(Dir, "out"), [big], o => o with { MaxInputBytes = 1 << 20, Input = tiny })).Message);
        var endless = new InputFile("-") { OpenStream = () => new MemoryStream(new byte[(1 << 20) + 100].Select(_ => (byte)'b').ToArray()) };
        Assert.Contains("<stdin>: larger than 1 MiB", Assert.Throws<InvalidDataException>(() => CorpusPreparer.Prepare(new PrepareOptions
            { Inputs = [endless], OutputDirectory = Path.Combine(Dir, "out"), MaxInputBytes = 1 << 20, Input = tiny })).Message);
    }

    [Theory]
    [InlineData(DocumentSplit.File)]
    [InlineData(DocumentSplit.BlankLine)]
    public void A_streamed_file_keeps_the_checks_of_a_file_read_whole(DocumentSplit split)
    {
        string Error(string name, byte[] bytes, long limit = InputLimit.DefaultBytes)
        {
            string path = WriteBytes(name, bytes);
            return Assert.Throws<InvalidDataException>(() => Prepare(Path.Combine(Dir, "out"), [path], o => o with
            {
                MaxInputBytes = limit, Input = new InputOptions { Split = split, StreamChunkBytes = 5, PieceChars = 3 },
            })).Message;
        }
        Assert.Contains("nul.txt: binary file (NUL byte at offset 12), not text", Error("nul.txt", [.. "hello world "u8, 0, .. "more"u8]));
        Assert.Contains("u16.txt: UTF-16 text", Error("u16.txt", Encoding.Unicode.GetBytes("\uFEFFhello there")));
        Assert.Contains("bad.txt: invalid UTF-8 at byte 6 (use --invalid-utf8 replace", Error("bad.txt", [0xEF, 0xBB, 0xBF, .. "hello "u8, 0xFF, .. "x"u8]));
        Assert.Contains("big.txt: larger than 1 MiB, the limit of --max-input-mb", Error("big.txt", Encoding.UTF8.GetBytes(new string('a', (1 << 20) + 1)), 1 << 20));
        string blank = WriteBytes("blank.txt", " \n\r\n\t "u8.ToArray());
        Assert.Contains("blank.txt: empty input", Assert.Throws<InvalidDataException>(() => Prepare(Path.Combine(Dir, "out"), [blank],
            o => o with { Input = new InputOptions { Split = split, StreamChunkBytes = 2, PieceChars = 1 } })).Message);
    }
}

/// <summary>Issue 21 friction: a one-document file is read and tokenized in pieces, so memory does not grow with its size.</summary>
public class StreamedTextMemoryTests : DataTestBase
{
    [Fact]
    public async Task A_64_MB_one_document_file_is_prepared_in_a_96_MB_heap()
    {
        // Read whole, the file's bytes (64 MB) and its text (128 MB of UTF-16) alone exceed the heap: the child runs out of
        // memory. Streamed, the heap holds a few MB of text and tokens, the tokenizer and a 2 MB shard buffer (a 40 MB file
        // passed in 64 MiB about 24 times in 25). One tokenizer thread: with two, the parallel batches' output lists grow
        // at the same moment and ran out of this heap once in a fresh-clone CI run; what is tested is the streaming.
        string[] words = ["alpha", "beta", "gamma", "delta", "word", "the", "of", "and", "naïve", "日本", "x1", "42"];
        var rng = new Random(7);
        string path = Path.Combine(Dir, "one.txt");
        using (var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20))
            for (long n = 0; n < 64_000_000;)
            {
                var line = string.Join(' ', Enumerable.Range(0, 12).Select(_ => words[rng.Next(words.Length)])) + (rng.Next(10) == 0 ? "\n\n" : "\n");
                writer.Write(line);
                n += line.Length;
            }
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { Eslm.Tests.Checkpoints.TestFiles.CliDll, "prepare", path, "-o", Path.Combine(Dir, "ds"), "--shard-tokens", "1048576", "--threads", "1" })
            psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_GCHeapHardLimit"] = "0x6000000"; // 96 MiB for the managed heap, whatever the machine
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(300_000)) { p.Kill(); throw new TimeoutException("eslm prepare did not finish in 300 s"); }
        Assert.True(p.ExitCode == 0, $"exit {p.ExitCode}: {await stderr}{await stdout}");
        var manifest = Dataset.Open(Path.Combine(Dir, "ds")).Manifest;
        Assert.Equal(new FileInfo(path).Length, manifest.Sources![0].Bytes);
    }
}
