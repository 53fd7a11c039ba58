using System.Text;
using System.Text.Json;

namespace Eslm.Data;

/// <summary>
/// The value of a JSONL string field. JSON may escape a lone UTF-16 surrogate ("\ud800"; Python's json.dumps writes one
/// for text decoded with surrogateescape), which System.Text.Json refuses to read as a string. Like invalid UTF-8, that is
/// an error naming the file and line, or, with --invalid-utf8 replace, each lone surrogate becomes U+FFFD (what Python's
/// json.loads followed by tiktoken gives).
/// </summary>
internal static class JsonString
{
    /// <summary>The string <paramref name="element"/> holds; <paramref name="where"/> is FILE:LINE, <paramref name="field"/> its name.</summary>
    public static string Read(JsonElement element, string where, string field, InvalidUtf8 mode)
    {
        try { return element.GetString()!; }
        catch (InvalidOperationException) when (mode == InvalidUtf8.Replace) { return Lenient(element.GetRawText()); }
        catch (InvalidOperationException)
        {
            throw new InvalidDataException($"{where}: field '{field}' escapes a lone UTF-16 surrogate (\\uD800-\\uDFFF), " +
                                           "which is not text (use --invalid-utf8 replace to continue)");
        }
    }

    /// <summary>Unescapes a raw JSON string literal (quotes included), keeping lone surrogates, then replaces them with U+FFFD.</summary>
    private static string Lenient(string raw)
    {
        var text = new StringBuilder(raw.Length);
        for (int i = 1; i < raw.Length - 1; i++)
        {
            char c = raw[i];
            if (c != '\\') { text.Append(c); continue; }
            char e = raw[++i];
            if (e == 'u') { text.Append((char)Convert.ToUInt16(raw.Substring(i + 1, 4), 16)); i += 4; continue; }
            text.Append(e switch { 'b' => '\b', 'f' => '\f', 'n' => '\n', 'r' => '\r', 't' => '\t', _ => e });
        }
        return Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text.ToString())); // the encoder's fallback: lone surrogate → U+FFFD
    }
}
