using System.Security.Cryptography;
using System.Text.Json;

namespace Eslm.Data;

/// <summary>How an input file splits into documents.</summary>
public enum DocumentSplit
{
    /// <summary>JSONL for *.jsonl / *.jsonl.gz, the whole file otherwise.</summary>
    Auto,
    /// <summary>The whole file is one document.</summary>
    File,
    /// <summary>Paragraphs separated by one or more blank (or whitespace-only) lines.</summary>
    BlankLine,
    /// <summary>One JSON object per line; the text is in <see cref="InputOptions.Field"/>.</summary>
    Jsonl,
}

/// <summary>How inputs are read.</summary>
public sealed record InputOptions
{
    public DocumentSplit Split { get; init; } = DocumentSplit.Auto;
    /// <summary>JSONL field holding the text.</summary>
    public string Field { get; init; } = "text";
    /// <summary>JSONL field holding the domain label, used when present in a record.</summary>
    public string DomainField { get; init; } = "domain";
    /// <summary>Domain for documents without one (default: the input's file name without extensions, "stdin" for stdin).</summary>
    public string? Domain { get; init; }
    public InvalidUtf8 InvalidUtf8 { get; init; } = InvalidUtf8.Error;
    /// <summary>Bytes per read of a streamed text input (<see cref="InputDocuments"/>; tests make it tiny to cross every boundary).</summary>
    internal int StreamChunkBytes { get; init; } = 1 << 15; // small: each read's text stays off the large-object heap
    /// <summary>Least characters per piece of a streamed one-document file (<see cref="TextPieces"/>).</summary>
    internal int PieceChars { get; init; } = 1 << 18;
}

/// <summary>One document: its text, domain label and where it came from (file, or file:line for JSONL).</summary>
public sealed record TextDocument(string Text, string Domain, string Source);

/// <summary>An input after expansion: a file path, or "-" for standard input.</summary>
public sealed record InputFile(string Path)
{
    public bool IsStdin => Path == "-";
    /// <summary>Optional group ("clean" / "noisy") used by the mixed recipe.</summary>
    public string? Group { get; init; }
    /// <summary>In-memory content (e.g. the built-in corpus); <see cref="Path"/> is then only its name.</summary>
    public Func<byte[]>? Content { get; init; }
    /// <summary>Standard input as a stream, read as it comes (prepare); without it, standard input is <see cref="Content"/>.</summary>
    public Func<Stream>? OpenStream { get; init; }
    /// <summary>Domain for its documents without one, instead of the file name (set by <see cref="DocumentReader.Expand"/>).</summary>
    public string? Domain { get; init; }
}

/// <summary>
/// Reads documents from files, directories, globs, gzip files, JSONL and stdin, with one-line errors naming the file
/// (and line) for every bad input: missing file, directory without text, binary file, invalid UTF-8, bad JSONL.
/// </summary>
public static class DocumentReader
{
    /// <summary>Extensions a directory scan picks up (each also with .gz).</summary>
    public static readonly string[] TextExtensions = [".txt", ".text", ".md", ".jsonl"];

    /// <summary>
    /// Expands directories (recursively, text files only, sorted; each real folder once, <see cref="DirectoryWalk"/>) and
    /// globs (* and ?; ** for any depth). <paramref name="warn"/> hears about skipped folder links.
    /// </summary>
    /// <param name="fileNameDomains">Give every file found in a folder or glob its file name as domain. By default a file
    /// name becomes a domain only when it repeats among the inputs (2020/news.txt, 2021/news.txt: "news"); a file whose
    /// name is unique takes the folder's name, so 100,000 files do not make 100,000 domains. Files named one by one always
    /// keep their file names.</param>
    public static List<InputFile> Expand(IEnumerable<string> inputs, Action<string>? warn = null, bool fileNameDomains = false)
    {
        var files = ExpandAll(inputs, warn);
        if (fileNameDomains) return files.Select(f => f with { Domain = null }).ToList();
        var counts = files.Where(f => !f.IsStdin).GroupBy(DefaultDomain).ToDictionary(g => g.Key, g => g.Count());
        return files.Select(f => f.Domain is not null && counts[DefaultDomain(f)] > 1 ? f with { Domain = null } : f).ToList();
    }

    /// <summary>Expands every input; files found in a folder or glob carry the folder's name as <see cref="InputFile.Domain"/>.</summary>
    private static List<InputFile> ExpandAll(IEnumerable<string> inputs, Action<string>? warn)
    {
        var files = new List<InputFile>();
        var visited = new HashSet<string>(StringComparer.Ordinal);
        foreach (string input in inputs)
        {
            if (input == "-") { files.Add(new InputFile("-")); continue; }
            if (input.IndexOfAny(['*', '?']) >= 0) { files.AddRange(Glob(input, warn)); continue; }
            if (Directory.Exists(input))
            {
                bool readBefore = visited.Contains(DirectoryWalk.RealPath(input));
                var found = DirectoryWalk.Files(input, visited, warn)
                    .Where(f => !System.IO.Path.GetFileName(f).StartsWith('.') && IsTextName(f))
                    .Order(StringComparer.Ordinal).ToList();
                if (found.Count == 0 && !readBefore)
                    throw new InvalidDataException($"{input}: directory holds no text files ({string.Join(", ", TextExtensions)}, optionally .gz)");
                files.AddRange(found.Select(f => new InputFile(f) { Domain = FolderName(input) }));
                continue;
            }
            if (!File.Exists(input)) throw new FileNotFoundException($"{input}: no such file or directory");
            files.Add(new InputFile(input));
        }
        if (files.Count == 0) throw new ArgumentException("no inputs given");
        return Distinct(files);
    }

    /// <summary>
    /// Each file once, by real path (symbolic links followed), first occurrence kept: the same file given twice, or a
    /// folder plus a file inside it, would otherwise put one document in both train and val.
    /// </summary>
    public static List<InputFile> Distinct(IEnumerable<InputFile> files)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return files.Where(f => f.IsStdin || f.Content is not null || seen.Add(DirectoryWalk.RealPath(f.Path))).ToList();
    }

    private static string FolderName(string folder) =>
        System.IO.Path.GetFileName(System.IO.Path.GetFullPath(folder).TrimEnd(System.IO.Path.DirectorySeparatorChar)) is { Length: > 0 } name ? name : "root";

    private static bool IsTextName(string path)
    {
        string name = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? path[..^3] : path;
        string ext = System.IO.Path.GetExtension(name);
        return TextExtensions.Contains(ext, StringComparer.OrdinalIgnoreCase);
    }

    private static IEnumerable<InputFile> Glob(string pattern, Action<string>? warn)
    {
        string full = pattern.Replace('\\', '/');
        int firstWild = full.IndexOfAny(['*', '?']);
        int slash = full.LastIndexOf('/', firstWild);
        string root = slash < 0 ? "." : (slash == 0 ? "/" : full[..slash]);
        string rest = slash < 0 ? full : full[(slash + 1)..];
        if (!Directory.Exists(root)) throw new FileNotFoundException($"{pattern}: no files match (directory {root} does not exist)");
        var regex = new System.Text.RegularExpressions.Regex("^" + System.Text.RegularExpressions.Regex.Escape(rest)
            .Replace(@"\*\*/", "(.*/)?").Replace(@"\*\*", ".*").Replace(@"\*", "[^/]*").Replace(@"\?", "[^/]") + "$");
        var matches = DirectoryWalk.Files(root, new HashSet<string>(StringComparer.Ordinal), warn)
            .Where(f => regex.IsMatch(System.IO.Path.GetRelativePath(root, f).Replace('\\', '/')))
            .Order(StringComparer.Ordinal).Select(f => new InputFile(f) { Domain = FolderName(root) }).ToList();
        if (matches.Count == 0) throw new FileNotFoundException($"{pattern}: no files match");
        return matches;
    }

    /// <summary>
    /// The file's bytes (decompressed when it ends in .gz) and the sha256 of the bytes as stored. At most
    /// <paramref name="limit"/> bytes are read (stored and decompressed), and only from regular files (<see cref="InputLimit"/>).
    /// </summary>
    public static (byte[] Bytes, string Sha256, long StoredBytes) ReadBytes(InputFile file, long limit = InputLimit.DefaultBytes)
    {
        bool gz = !file.IsStdin && file.Path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);
        byte[] stored;
        if (file.Content is not null) stored = file.Content();
        else if (file.IsStdin)
        {
            if (file.OpenStream is null) throw new ArgumentException("standard input (-) must be given as an InputFile with Content or OpenStream (the CLI gives it)");
            using var stdin = file.OpenStream();
            stored = InputLimit.ReadAll(stdin, limit, "<stdin>", size: null, text: true);
        }
        else
        {
            RequireFile(file.Path);
            long size = new FileInfo(file.Path).Length;
            if (size > limit) throw InputLimit.TooLarge(file.Path, limit);
            using var stream = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            stored = InputLimit.ReadAll(stream, limit, file.Path, size, text: !gz);
        }
        string sha = Convert.ToHexStringLower(SHA256.HashData(stored));
        if (gz) return (GzipInput.Decompress(stored, file.Path, limit), sha, stored.Length);
        return (stored, sha, stored.Length);
    }

    /// <summary>Throws unless <paramref name="path"/> is an existing file: a folder is named as one, not as a missing file.</summary>
    public static void RequireFile(string path)
    {
        if (Directory.Exists(path)) throw new IOException($"{path}: is a folder, expected a file");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file");
    }

    /// <summary>Extensions removed from a file name to make its default domain (after an optional .gz).</summary>
    public static readonly string[] DomainExtensions = [".txt", ".text", ".md", ".jsonl", ".json", ".csv", ".tsv"];

    /// <summary>
    /// Default domain of an input: its file name without a known text extension (and .gz), "stdin" for stdin. Only known
    /// extensions go, so LGPL-2.txt and LGPL-2.1.txt stay two domains (cutting at the first dot merged them).
    /// </summary>
    public static string DefaultDomain(InputFile file)
    {
        if (file.IsStdin) return "stdin";
        string name = System.IO.Path.GetFileName(file.Path);
        string StripOne(string n, string ext) => n.Length > ext.Length && n.EndsWith(ext, StringComparison.OrdinalIgnoreCase) ? n[..^ext.Length] : n;
        name = StripOne(name, ".gz");
        foreach (string ext in DomainExtensions)
        {
            string stripped = StripOne(name, ext);
            if (stripped != name) return stripped;
        }
        return name;
    }

    public static DocumentSplit Resolve(DocumentSplit split, InputFile file)
    {
        if (split != DocumentSplit.Auto) return split;
        string name = file.Path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? file.Path[..^3] : file.Path;
        return name.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) ? DocumentSplit.Jsonl : DocumentSplit.File;
    }

    /// <summary>Splits decoded bytes into documents (empty or whitespace-only documents are dropped).</summary>
    public static List<TextDocument> Split(byte[] bytes, InputFile file, InputOptions options)
    {
        string name = file.IsStdin ? "<stdin>" : file.Path;
        string domain = options.Domain ?? file.Domain ?? DefaultDomain(file);
        var docs = new List<TextDocument>();
        switch (Resolve(options.Split, file))
        {
            case DocumentSplit.Jsonl:
                ReadJsonl(bytes, name, domain, options, docs);
                break;
            case DocumentSplit.BlankLine:
            {
                string text = TextDecoding.Decode(bytes, name, options.InvalidUtf8);
                int paragraph = 0;
                foreach (string part in SplitParagraphs(text))
                    docs.Add(new TextDocument(part, domain, $"{name}#{++paragraph}"));
                break;
            }
            default:
            {
                string text = TextDecoding.Decode(bytes, name, options.InvalidUtf8);
                if (!string.IsNullOrWhiteSpace(text)) docs.Add(new TextDocument(text, domain, name));
                break;
            }
        }
        return docs;
    }

    /// <summary>Paragraphs: maximal runs of lines that are not blank, joined with their original line ends (the last one dropped).</summary>
    public static IEnumerable<string> SplitParagraphs(string text) => Paragraphs([text]);

    /// <summary><see cref="SplitParagraphs"/> of a text that arrives in chunks (a line may span chunks): each paragraph as soon as it ends.</summary>
    public static IEnumerable<string> Paragraphs(IEnumerable<string> chunks)
    {
        var current = new System.Text.StringBuilder();
        var line = new System.Text.StringBuilder(); // the line being read, up to and including its "\n"
        foreach (string chunk in chunks)
        {
            for (int i = 0; i < chunk.Length;)
            {
                int end = chunk.IndexOf('\n', i);
                int next = end < 0 ? chunk.Length : end + 1;
                line.Append(chunk, i, next - i);
                i = next;
                if (end >= 0 && EndLine(line, current) is { } paragraph) yield return paragraph;
            }
        }
        if (line.Length > 0 && EndLine(line, current) is { } last) yield return last;
        if (current.Length > 0) yield return TrimLineEnd(current.ToString());
    }

    /// <summary>Adds a finished line to the paragraph, or, for a blank line, returns the paragraph it ends (null when none).</summary>
    private static string? EndLine(System.Text.StringBuilder line, System.Text.StringBuilder current)
    {
        bool blank = true;
        foreach (var part in line.GetChunks()) blank &= part.Span.IsWhiteSpace();
        string? paragraph = null;
        if (!blank) current.Append(line);
        else if (current.Length > 0) { paragraph = TrimLineEnd(current.ToString()); current.Clear(); }
        line.Clear();
        return paragraph;
    }

    private static string TrimLineEnd(string s) => s.EndsWith("\r\n", StringComparison.Ordinal) ? s[..^2] : s.EndsWith('\n') ? s[..^1] : s;

    private static void ReadJsonl(byte[] bytes, string name, string defaultDomain, InputOptions options, List<TextDocument> docs)
    {
        var span = bytes.AsSpan();
        if (span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) span = span[3..];
        int lineNumber = 0;
        while (!span.IsEmpty)
        {
            lineNumber++;
            int nl = span.IndexOf((byte)'\n');
            var line = nl < 0 ? span : span[..nl];
            span = nl < 0 ? default : span[(nl + 1)..];
            if (JsonlDocument(line, $"{name}:{lineNumber}", defaultDomain, options) is { } doc) docs.Add(doc);
        }
    }

    /// <summary>One JSONL line's document, or null for a blank line or an empty text; <paramref name="where"/> is FILE:LINE.</summary>
    internal static TextDocument? JsonlDocument(ReadOnlySpan<byte> line, string where, string defaultDomain, InputOptions options)
    {
        if (line.Trim(" \t\r"u8).IsEmpty) return null;
        if (line.IndexOf((byte)0) >= 0) throw new InvalidDataException($"{where}: binary data (NUL byte), not JSONL");
        byte[] lineBytes = line.ToArray();
        if (!System.Text.Unicode.Utf8.IsValid(lineBytes)) // error naming the byte, or U+FFFD for each bad sequence
            lineBytes = System.Text.Encoding.UTF8.GetBytes(TextDecoding.Decode(lineBytes, where, options.InvalidUtf8));
        JsonDocument json;
        try { json = JsonDocument.Parse(lineBytes); }
        catch (JsonException e) { throw new InvalidDataException($"{where}: not JSON ({FirstSentence(e.Message)})"); }
        using (json)
        {
            if (json.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{where}: expected a JSON object, found {json.RootElement.ValueKind}");
            if (!json.RootElement.TryGetProperty(options.Field, out var field) || field.ValueKind != JsonValueKind.String)
                throw new InvalidDataException($"{where}: no string field '{options.Field}' (choose it with --field)");
            string Read(JsonElement value, string name) => JsonString.Read(value, where, name, options.InvalidUtf8);
            string domain = json.RootElement.TryGetProperty(options.DomainField, out var d) && d.ValueKind == JsonValueKind.String ? Read(d, options.DomainField) : defaultDomain;
            string source = json.RootElement.TryGetProperty("source", out var s) && s.ValueKind == JsonValueKind.String ? Read(s, "source") : where;
            string text = Read(field, options.Field);
            return string.IsNullOrWhiteSpace(text) ? null : new TextDocument(text, domain, source);
        }
    }

    private static string FirstSentence(string message)
    {
        int cut = message.IndexOf(". ", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message.TrimEnd('.');
    }
}
