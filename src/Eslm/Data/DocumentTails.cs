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
    public static int CutPoint(ReadOnlySpan<ushort> tokens, double fraction, Gpt2Tokenizer tokenizer) =>
        tokens.Length < 2 ? -1 : CutPoint(tokens, 0, tokens.Length, fraction, tokenizer);

    /// <summary>
    /// <see cref="CutPoint(ReadOnlySpan{ushort}, double, Gpt2Tokenizer)"/> of a document of <paramref name="length"/> (at least 2)
    /// tokens given only its tokens from <paramref name="windowStart"/> = <see cref="WindowStart"/> on (all the cut looks at),
    /// so a long document need not be read whole.
    /// </summary>
    public static int CutPoint(ReadOnlySpan<ushort> window, int windowStart, int length, double fraction, Gpt2Tokenizer tokenizer)
    {
        var (target, limit) = Range(length, fraction);
        for (int cut = target; cut >= limit; cut--)
        {
            var previous = tokenizer.TokenToBytes(window[cut - 1 - windowStart]);
            if (previous.Length > 0 && previous[^1] == (byte)'\n') return cut;
        }
        return target;
    }

    /// <summary>The first token <see cref="CutPoint(ReadOnlySpan{ushort}, int, int, double, Gpt2Tokenizer)"/> reads.</summary>
    public static int WindowStart(int length, double fraction) => Range(length, fraction).Limit - 1;

    /// <summary>The cut aimed at (the tail's start) and the earliest cut accepted (a tail at most twice the asked size).</summary>
    private static (int Target, int Limit) Range(int length, double fraction)
    {
        int tail = (int)Math.Clamp(Math.Round(fraction * length), 1, length - 1);
        return (length - tail, Math.Max(1, length - 2 * tail));
    }

    /// <summary>UTF-8 bytes of a token run (GPT-2's byte-level tokens concatenate to the text's bytes).</summary>
    public static long Bytes(ReadOnlySpan<ushort> tokens, Gpt2Tokenizer tokenizer)
    {
        long n = 0;
        foreach (ushort t in tokens) n += tokenizer.TokenToBytes(t).Length;
        return n;
    }
}
