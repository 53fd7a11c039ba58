using System.Text;
using Eslm.Tokenization;

namespace Eslm.Data;

/// <summary>
/// Cuts a text that arrives in chunks into pieces of at least a given length, each cut where a pre-token boundary is
/// certain (<see cref="PreTokenizer.IsSafeCut"/>: a non-space followed by a space), so the tokens of the pieces,
/// concatenated, are the tokens of the whole text. A cut never falls inside a surrogate pair (the character after it is a
/// space). A stretch without such a place (no space after a non-space) stays whole, however long.
/// </summary>
public static class TextPieces
{
    public static IEnumerable<string> Cut(IEnumerable<string> chunks, int pieceChars)
    {
        var carry = new StringBuilder(); // text after the last cut: no cut was found in it, so only new chunks are searched
        foreach (string chunk in chunks)
        {
            int cut = LastSafeCut(chunk, carry.Length > 0 ? carry[^1] : null);
            if (cut < 0 || carry.Length + cut < pieceChars) { carry.Append(chunk); continue; }
            carry.Append(chunk, 0, cut);
            yield return carry.ToString();
            carry.Clear().Append(chunk, cut, chunk.Length - cut);
        }
        if (carry.Length > 0) yield return carry.ToString();
    }

    /// <summary>The last position of <paramref name="chunk"/> where a cut is certain, counting its start when the character
    /// before it (<paramref name="before"/>, the end of the text so far) makes one; -1 when none.</summary>
    private static int LastSafeCut(string chunk, char? before)
    {
        for (int p = chunk.Length - 1; p >= 1; p--)
            if (PreTokenizer.IsSafeCut(chunk, p)) return p;
        return before is char c && chunk.Length > 0 && PreTokenizer.IsSafeCut([c, chunk[0]], 1) ? 0 : -1;
    }
}
