using System.Security.Cryptography;

namespace Eslm.Data;

/// <summary>A document, or a later piece of the document before it (<see cref="ContinuesPrevious"/>: a long one-document file).</summary>
public readonly record struct DocumentPart(TextDocument Doc, bool ContinuesPrevious);

/// <summary>
/// The documents of one input, read as a stream where the format allows it (issue 21: memory bounded whatever the input's
/// size): an uncompressed JSONL file is read a chunk at a time and handed over a line at a time; an uncompressed
/// blank-line file a paragraph at a time; an uncompressed one-document file in pieces cut where a pre-token boundary is
/// certain (<see cref="TextPieces"/>), so only what the caller has not consumed yet is in memory; the same for .gz files
/// and standard input (<see cref="InputFile.OpenStream"/>). JSONL from .gz or stdin, and in-memory content, are read whole
/// (at most --max-input-mb).
/// After the enumeration, <see cref="Sha256"/> and <see cref="StoredBytes"/> describe the bytes as stored.
/// </summary>
public sealed class InputDocuments(InputFile file, InputOptions options, long limit)
{
    public string Sha256 { get; private set; } = "";
    public long StoredBytes { get; private set; }
    /// <summary>Bytes read so far (for progress): all of them once the enumeration is over.</summary>
    public long BytesRead => _text?.BytesRead ?? StoredBytes;

    private StreamedText? _text;

    public IEnumerable<DocumentPart> Read()
    {
        bool gz = !file.IsStdin && file.Path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);
        var split = DocumentReader.Resolve(options.Split, file);
        bool whole = file.Content is not null || (file.IsStdin && file.OpenStream is null) || (split == DocumentSplit.Jsonl && (gz || file.IsStdin));
        if (whole)
        {
            var (bytes, sha, stored) = DocumentReader.ReadBytes(file, limit);
            (Sha256, StoredBytes) = (sha, stored);
            return DocumentReader.Split(bytes, file, options).Select(d => new DocumentPart(d, false));
        }
        return split == DocumentSplit.Jsonl ? StreamJsonl().Select(d => new DocumentPart(d, false)) : StreamText(split);
    }

    /// <summary>A plain-text file: its paragraphs (blank-line split) or its one document in pieces (dropped when only whitespace).</summary>
    private IEnumerable<DocumentPart> StreamText(DocumentSplit split)
    {
        string domain = options.Domain ?? file.Domain ?? DocumentReader.DefaultDomain(file);
        _text = StreamedText.Of(file, file.OpenStream, options.InvalidUtf8, limit, options.StreamChunkBytes);
        string name = file.IsStdin ? "<stdin>" : file.Path;
        if (split == DocumentSplit.BlankLine)
        {
            int paragraph = 0;
            foreach (string part in DocumentReader.Paragraphs(_text.Chunks()))
                yield return new DocumentPart(new TextDocument(part, domain, $"{name}#{++paragraph}"), false);
        }
        else
        {
            // The first piece ends at the first cut, which follows a non-space: it is whitespace only when the whole text is.
            bool first = true;
            foreach (string piece in TextPieces.Cut(_text.Chunks(), options.PieceChars))
            {
                if (first && string.IsNullOrWhiteSpace(piece)) break;
                yield return new DocumentPart(new TextDocument(piece, domain, name), !first);
                first = false;
            }
        }
        (Sha256, StoredBytes) = (_text.Sha256, _text.StoredBytes);
    }

    private IEnumerable<TextDocument> StreamJsonl()
    {
        string path = file.Path;
        DocumentReader.RequireFile(path);
        long size = new FileInfo(path).Length;
        if (size > limit) throw InputLimit.TooLarge(path, limit);
        string domain = options.Domain ?? file.Domain ?? DocumentReader.DefaultDomain(file);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var chunk = new byte[1 << 20];
        var carry = new MemoryStream(); // the unfinished last line of the chunks read so far
        long total = 0;
        int lineNumber = 0;
        var ready = new List<TextDocument>();
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if ((total += read) > size)
                throw new InvalidDataException($"{path}: not a regular file (it gives more bytes than its size of {size}: a device, a pipe or a file " +
                                               "still being written); give a text file, or - for standard input");
            hash.AppendData(chunk, 0, read);
            TextDecoding.CheckText(chunk.AsSpan(0, read), path, total - read);
            Lines(chunk.AsSpan(0, read), atStart: total == read, carry, ref lineNumber, domain, ready);
            foreach (var doc in ready) yield return doc;
            ready.Clear();
        }
        if (carry.Length > 0 && LastLine(carry, ++lineNumber, domain) is { } last) yield return last;
        Sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
        StoredBytes = total;
    }

    /// <summary>The complete lines of one chunk (the first joined to <paramref name="carry"/>); the unfinished end goes to carry.</summary>
    private void Lines(ReadOnlySpan<byte> rest, bool atStart, MemoryStream carry, ref int lineNumber, string domain, List<TextDocument> ready)
    {
        if (atStart && rest.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) rest = rest[3..];
        for (int nl; (nl = rest.IndexOf((byte)'\n')) >= 0; rest = rest[(nl + 1)..])
        {
            ReadOnlySpan<byte> line = rest[..nl];
            if (carry.Length > 0) { carry.Write(line); line = carry.GetBuffer().AsSpan(0, (int)carry.Length); }
            if (DocumentReader.JsonlDocument(line, $"{file.Path}:{++lineNumber}", domain, options) is { } doc) ready.Add(doc);
            carry.SetLength(0);
        }
        carry.Write(rest);
    }

    private TextDocument? LastLine(MemoryStream carry, int lineNumber, string domain) =>
        DocumentReader.JsonlDocument(carry.GetBuffer().AsSpan(0, (int)carry.Length), $"{file.Path}:{lineNumber}", domain, options);
}
