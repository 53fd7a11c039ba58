using System.Text;

namespace Eslm.Data;

/// <summary>What to do with bytes that are not valid UTF-8.</summary>
public enum InvalidUtf8 { Error, Replace }

/// <summary>
/// Turns input bytes into text with Eslm's rules: a UTF-8 byte-order mark is dropped; UTF-16 is named as such (convert it);
/// a NUL byte means a binary file (an error, whatever the mode); invalid UTF-8 is an error naming the file and byte offset, or becomes U+FFFD with
/// <see cref="InvalidUtf8.Replace"/>.
/// </summary>
public static class TextDecoding
{
    private static readonly UTF8Encoding s_strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly UTF8Encoding s_lenient = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    /// <param name="name">File name (and line, for JSONL) used in error messages.</param>
    /// <param name="offerReplace">Whether the error names <c>--invalid-utf8 replace</c> (false where the command has no such option).</param>
    public static string Decode(ReadOnlySpan<byte> bytes, string name, InvalidUtf8 mode, bool offerReplace = true)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) bytes = bytes[3..];
        CheckText(bytes, name, 0);
        if (mode == InvalidUtf8.Replace) return s_lenient.GetString(bytes);
        int invalid = System.Text.Unicode.Utf8.IsValid(bytes) ? -1 : FirstInvalid(bytes);
        if (invalid >= 0)
            throw new InvalidDataException($"{name}: invalid UTF-8 at byte {invalid}" + (offerReplace ? " (use --invalid-utf8 replace to continue)" : ""));
        return s_strict.GetString(bytes);
    }

    /// <summary>
    /// Refuses bytes that cannot be UTF-8 text: UTF-16 (a byte-order mark FF FE / FE FF, or NUL in every other byte, as
    /// ASCII in UTF-16 gives) is named as such with the fix; any other NUL byte means a binary file.
    /// <paramref name="offset"/>: where <paramref name="bytes"/> start in the file (for messages and the byte-order mark).
    /// </summary>
    public static void CheckText(ReadOnlySpan<byte> bytes, string name, long offset)
    {
        if (offset == 0 && (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || bytes.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF])))
            throw Utf16(name);
        int nul = bytes.IndexOf((byte)0);
        if (nul < 0) return;
        if (offset == 0 && LooksLikeUtf16(bytes)) throw Utf16(name);
        throw new InvalidDataException($"{name}: binary file (NUL byte at offset {offset + nul}), not text");
    }

    private static InvalidDataException Utf16(string name) =>
        new InvalidDataException($"{name}: UTF-16 text: convert it to UTF-8 (e.g. iconv -f UTF-16 -t UTF-8 FILE > FILE.utf8.txt)");

    /// <summary>At least 4 characters, and in the first 512 bytes every odd (little-endian) or every even (big-endian) byte is
    /// NUL and the others are not (ASCII text in UTF-16).</summary>
    private static bool LooksLikeUtf16(ReadOnlySpan<byte> bytes)
    {
        int n = Math.Min(bytes.Length, 512) & ~1;
        if (n < 8) return false;
        bool le = true, be = true;
        for (int i = 0; i < n; i += 2) { be &= bytes[i] == 0 && bytes[i + 1] != 0; le &= bytes[i + 1] == 0 && bytes[i] != 0; }
        return le || be;
    }

    private static int FirstInvalid(ReadOnlySpan<byte> bytes)
    {
        int offset = 0;
        while (!bytes.IsEmpty)
        {
            var status = System.Text.Rune.DecodeFromUtf8(bytes, out _, out int consumed);
            if (status != System.Buffers.OperationStatus.Done) return offset;
            offset += consumed;
            bytes = bytes[consumed..];
        }
        return -1;
    }

    /// <summary>Latin-1 (ISO-8859-1) bytes as text: every byte is one character (used for the SpamAssassin mails).</summary>
    public static string Latin1(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);
}
