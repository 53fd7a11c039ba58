using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace Eslm.Tokenization;

/// <summary>
/// GPT-2's pre-tokenisation, the regex
/// <c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c>
/// written out as a hand scanner (about 5× faster than the .NET regex, no allocations). Classes are those of Unicode code
/// points, as in OpenAI's encoder.py (Python's regex on str) and tiktoken: a letter or digit outside the Basic
/// Multilingual Plane (𝐀, 𝟎, 𠀀), a surrogate pair in UTF-16, is a letter or digit; a lone surrogate is "other".
/// <c>\s</c> is char.IsWhiteSpace (no whitespace lies outside the BMP). <see cref="Regex"/> is the regex itself, kept
/// for the tests: .NET's regex (and the SharpToken oracle) classify per UTF-16 code unit, so they agree with the scanner
/// on text without astral letters and digits only.
///
/// The alternatives, in the regex's order, at a position i:
///  1. an apostrophe followed by s, t, re, ve, m, ll or d (lower case): that contraction;
///  2. an optional single space, then a maximal run of letters / of digits / of "other" (not space, letter or digit);
///  3. a whitespace run: all of it when it reaches the end of the text; otherwise all but its last character (which then
///     starts the next piece, e.g. " word"); a single whitespace character before non-space stands alone.
/// A piece boundary always falls between a non-space character and a space (no alternative contains that pair), and the
/// pattern has no look-behind, so text can be cut there and the parts scanned independently (<see cref="IsSafeCut"/>).
/// </summary>
public static class PreTokenizer
{
    public const string Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
    public static readonly Regex Regex = new(Pattern, RegexOptions.Compiled);

    private const byte Other = 0, Letter = 1, Digit = 2, Space = 3;

    /// <summary>The table's class of a surrogate code unit: the pair's code point decides (<see cref="ClassAt"/>).</summary>
    private const byte Surrogate = 4;

    /// <summary>Class of every UTF-16 code unit (64 KiB).</summary>
    private static readonly byte[] s_class = BuildClasses();

    private static byte[] BuildClasses()
    {
        var classes = new byte[65536];
        for (int c = 0; c < 65536; c++)
        {
            char ch = (char)c;
            classes[c] = char.IsWhiteSpace(ch) ? Space : char.IsSurrogate(ch) ? Surrogate : ClassOf(CharUnicodeInfo.GetUnicodeCategory(ch));
        }
        return classes;
    }

    private static byte ClassOf(UnicodeCategory category) => category switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => Letter,
        UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => Digit,
        _ => Other,
    };

    /// <summary>The class of the code point that starts at <paramref name="i"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte ClassAt(ReadOnlySpan<char> text, int i)
    {
        byte cls = s_class[text[i]];
        return cls == Surrogate ? PairClass(text, i, out _) : cls;
    }

    private static byte PairClass(ReadOnlySpan<char> text, int i, out int width)
    {
        width = 1;
        if (!char.IsHighSurrogate(text[i]) || i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1])) return Other; // a lone surrogate
        width = 2;
        return ClassOf(CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(text[i], text[i + 1])));
    }

    /// <summary>The end of the run of class <paramref name="cls"/> that starts (or continues) at <paramref name="j"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int RunEnd(ReadOnlySpan<char> text, int j, byte cls)
    {
        var classes = s_class;
        int n = text.Length;
        while (j < n)
        {
            byte c = classes[text[j]];
            if (c == cls) { j++; continue; }
            if (c != Surrogate || PairClass(text, j, out int width) != cls) break;
            j += width;
        }
        return j;
    }

    /// <summary>Length of the piece that starts at <paramref name="start"/> (start &lt; text.Length).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int NextPiece(ReadOnlySpan<char> text, int start)
    {
        var classes = s_class;
        int n = text.Length, i = start;
        char c = text[i];
        if (c == '\'' && i + 1 < n)
        {
            char d = text[i + 1];
            if (d is 's' or 't' or 'm' or 'd') return 2;
            if (i + 2 < n)
            {
                char e = text[i + 2];
                if ((d == 'r' && e == 'e') || (d == 'v' && e == 'e') || (d == 'l' && e == 'l')) return 3;
            }
        }
        byte cls = ClassAt(text, i);
        if (c == ' ' && i + 1 < n)
        {
            byte next = ClassAt(text, i + 1);
            if (next != Space) return RunEnd(text, i + 1, next) - start;
        }
        if (cls != Space) return RunEnd(text, i, cls) - start;
        int end = i + 1;
        while (end < n && classes[text[end]] == Space) end++;
        if (end == n) return end - start;
        return end - start >= 2 ? end - start - 1 : 1;
    }

    /// <summary>
    /// Whether the text holds a letter or digit outside the Basic Multilingual Plane: there SharpToken and .NET's regex,
    /// which classify per UTF-16 code unit, split differently from GPT-2's rules (and from this scanner).
    /// </summary>
    public static bool HasAstralLetterOrDigit(ReadOnlySpan<char> text)
    {
        for (int i = 0; i < text.Length; i++)
            if (char.IsHighSurrogate(text[i]) && PairClass(text, i, out _) is Letter or Digit) return true;
        return false;
    }

    /// <summary>True when a piece boundary is certain at <paramref name="position"/>: a non-space followed by a space.</summary>
    public static bool IsSafeCut(ReadOnlySpan<char> text, int position) =>
        position > 0 && position < text.Length && s_class[text[position - 1]] != Space && s_class[text[position]] == Space;

    /// <summary>The pieces of a text as (start, length), for tests and tools.</summary>
    public static List<(int Start, int Length)> Split(ReadOnlySpan<char> text)
    {
        var pieces = new List<(int, int)>();
        for (int i = 0; i < text.Length;)
        {
            int length = NextPiece(text, i);
            pieces.Add((i, length));
            i += length;
        }
        return pieces;
    }
}
