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
        var carry = new StringBuilder();
        int searched = 0; // carry[..searched] holds no cut (checked before)
        foreach (string chunk in chunks)
        {
            carry.Append(chunk);
            if (carry.Length < pieceChars) continue;
            string text = carry.ToString();
            int cut = LastSafeCut(text, Math.Max(1, searched));
            if (cut < 0) { searched = Math.Max(1, text.Length - 1); continue; }
            yield return text[..cut];
            carry.Clear().Append(text, cut, text.Length - cut);
            searched = 0;
        }
        if (carry.Length > 0) yield return carry.ToString();
    }

    private static int LastSafeCut(string text, int from)
    {
        for (int p = text.Length - 1; p >= from; p--)
            if (PreTokenizer.IsSafeCut(text, p)) return p;
        return -1;
    }
}
