using System.Text;

namespace Eslm.Data;

/// <summary>
/// Decides whether a single file given where tokens are expected (`train --data`, `--val-data`, `eval --data`) really holds
/// tokens. Without this, text read as uint16 ids trains or evaluates on garbage with exit 0. A token file is an llm.c
/// shard (its magic) or a headerless uint16 <c>.bin</c> (nanoGPT) of even size; text (a text-like name, or content that
/// is valid UTF-8 and mostly printable) is refused with a pointer to <c>eslm prepare</c>.
/// </summary>
public static class TokenFileCheck
{
    /// <summary>Names that are text (or text containers) whatever their content.</summary>
    private static readonly string[] TextExtensions = [".txt", ".md", ".jsonl", ".json", ".csv", ".tsv", ".html", ".xml", ".gz", ".zst"];

    /// <summary>Bytes sniffed from the start of a raw file: enough to tell text from uint16 ids.</summary>
    private const int SniffBytes = 64 * 1024;

    /// <summary>Throws <see cref="InvalidDataException"/> naming the file unless it is a recognisable token file.</summary>
    public static void RequireTokenFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such dataset folder or token file");
        string name = Path.GetFileName(path).ToLowerInvariant();
        if (TextExtensions.Any(name.EndsWith)) throw TextError(path, "its name says it is text");
        if (TokenShard.HasShardMagic(path)) return; // TokenShard.Open validates the rest of the header
        if (LooksLikeText(path)) throw TextError(path, "it holds UTF-8 text");
        long length = new FileInfo(path).Length;
        if (!name.EndsWith(".bin"))
            throw new InvalidDataException($"{path}: not a token file (no llm.c shard header, and a headerless uint16 token file must be named *.bin)");
        if (length == 0) throw new InvalidDataException($"{path}: empty token file");
        if (length % 2 != 0) throw new InvalidDataException($"{path}: raw uint16 token file has an odd byte count ({length})");
    }

    /// <summary>True when the file's first bytes are valid UTF-8 with at least 95% printable characters or whitespace.</summary>
    public static bool LooksLikeText(string path)
    {
        var head = new byte[(int)Math.Min(SniffBytes, new FileInfo(path).Length)];
        using (var f = File.OpenRead(path)) f.ReadExactly(head);
        ReadOnlySpan<byte> rest = head;
        long characters = 0, printable = 0;
        while (!rest.IsEmpty)
        {
            var status = Rune.DecodeFromUtf8(rest, out var rune, out int used);
            if (status == System.Buffers.OperationStatus.NeedMoreData) break; // a character cut by the sniff window
            if (status != System.Buffers.OperationStatus.Done) return false;
            characters++;
            if (!Rune.IsControl(rune) || rune.Value is '\n' or '\r' or '\t') printable++;
            rest = rest[used..];
        }
        return characters > 0 && printable >= 0.95 * characters;
    }

    private static InvalidDataException TextError(string path, string why) =>
        new($"{path}: expected tokens but {why}; tokenize it first with `eslm prepare {path} --out DIR` and pass DIR");
}
