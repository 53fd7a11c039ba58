using Eslm.Tokenization;

namespace Eslm.Data;

/// <summary>
/// The validation hold-out for inputs with too few documents to hold out whole ones (one book, one notes file): each
/// document's last share of tokens becomes a validation document, cut after the newline token nearest before that point
/// (so the val text starts at a line or paragraph), otherwise at the point itself. Without this, `eslm prepare book.txt`
/// leaves val empty and training runs without validation.
/// </summary>
public static class DocumentTails
{
    /// <summary>Below this many documents, whole-document hold-out is replaced by document tails.</summary>
    public const int MinDocumentsForWholeSplit = 4;

    /// <summary>
    /// Where to cut a document of <paramref name="tokens"/> so that about <paramref name="fraction"/> of it is held out:
    /// the start of the tail, in [1, Length), or -1 when the document is too short to cut. A newline boundary is used when
    /// it keeps the tail at most twice the asked size.
    /// </summary>
    public static int CutPoint(ReadOnlySpan<ushort> tokens, double fraction, Gpt2Tokenizer tokenizer)
    {
        if (tokens.Length < 2) return -1;
        int tail = (int)Math.Clamp(Math.Round(fraction * tokens.Length), 1, tokens.Length - 1);
        int target = tokens.Length - tail, limit = Math.Max(1, tokens.Length - 2 * tail);
        for (int cut = target; cut >= limit; cut--)
        {
            var previous = tokenizer.TokenToBytes(tokens[cut - 1]);
            if (previous.Length > 0 && previous[^1] == (byte)'\n') return cut;
        }
        return target;
    }

    /// <summary>UTF-8 bytes of a token run (GPT-2's byte-level tokens concatenate to the text's bytes).</summary>
    public static long Bytes(ReadOnlySpan<ushort> tokens, Gpt2Tokenizer tokenizer)
    {
        long n = 0;
        foreach (ushort t in tokens) n += tokenizer.TokenToBytes(t).Length;
        return n;
    }
}
