using System.Text;

namespace Eslm.Tests.Architecture;

/// <summary>
/// Removes comments and the text of string and character literals from C# source, keeping the code inside
/// interpolation holes ($"…{code}…"), so a dependency scan sees only code. Removed text becomes spaces.
/// </summary>
public static class CSharpText
{
    public static string CodeOnly(string source)
    {
        var o = new StringBuilder(source.Length);
        int i = 0;
        Code(source, ref i, o, stopAtBrace: false);
        return o.ToString();
    }

    /// <summary>Copies code until the end (or, in an interpolation hole, until its closing brace).</summary>
    private static void Code(string s, ref int i, StringBuilder o, bool stopAtBrace)
    {
        int depth = 0;
        while (i < s.Length)
        {
            char c = s[i];
            if (c == '/' && At(s, i + 1, '/')) { while (i < s.Length && s[i] != '\n') i++; continue; }
            if (c == '/' && At(s, i + 1, '*'))
            {
                int end = s.IndexOf("*/", i + 2, StringComparison.Ordinal);
                i = end < 0 ? s.Length : end + 2; o.Append(' '); continue;
            }
            if (c == '\'') { i++; while (i < s.Length && s[i] != '\'') i += s[i] == '\\' ? 2 : 1; i++; o.Append("' '"); continue; }
            if (c == '"' || ((c == '$' || c == '@') && (At(s, i + 1, '"') || At(s, i + 1, '$') || At(s, i + 1, '@'))))
            {
                String(s, ref i, o); continue;
            }
            if (stopAtBrace)
            {
                if (c == '{') depth++;
                else if (c == '}' && depth-- == 0) return;
            }
            o.Append(c); i++;
        }
    }

    /// <summary>Skips one string literal at i (regular, verbatim, raw, interpolated), keeping interpolation holes.</summary>
    private static void String(string s, ref int i, StringBuilder o)
    {
        int dollars = 0; bool verbatim = false;
        while (s[i] == '$' || s[i] == '@') { if (s[i] == '$') dollars++; else verbatim = true; i++; }
        int quotes = 0;
        while (At(s, i + quotes, '"')) quotes++;
        o.Append("\"\"");
        if (quotes >= 3) // raw string: ends at the same run of quotes; holes open with `dollars` braces
        {
            i += quotes;
            string close = new('"', quotes), open = new('{', Math.Max(1, dollars));
            while (i < s.Length && string.CompareOrdinal(s, i, close, 0, quotes) != 0)
            {
                if (dollars > 0 && string.CompareOrdinal(s, i, open, 0, open.Length) == 0) { i += open.Length; Code(s, ref i, o, true); i += dollars - 1; }
                i++;
            }
            i += quotes; return;
        }
        i++; // the opening quote (an empty "" has quotes == 2 and ends on the next check)
        while (i < s.Length)
        {
            char c = s[i];
            if (c == '"') { if (verbatim && At(s, i + 1, '"')) { i += 2; continue; } i++; return; }
            if (c == '\\' && !verbatim) { i += 2; continue; }
            if (c == '\n' && !verbatim) return; // unterminated: give up at the line end
            if (dollars > 0 && c == '{') { if (At(s, i + 1, '{')) { i += 2; continue; } i++; Code(s, ref i, o, true); i++; continue; }
            i++;
        }
    }

    private static bool At(string s, int i, char c) => i < s.Length && s[i] == c;
}
