namespace Eslm.Data;

/// <summary>
/// Reads one input completely, but never more than a limit (issue 21, defect 8): `prepare /dev/zero` used to read 4 GB and
/// then fail on memory. Stops at the first NUL byte outside a gzip file (binary data, or UTF-16 text, which
/// <see cref="TextDecoding.CheckText"/> names), refuses a file that gives more bytes than its size (a device, a pipe or a
/// file still being written), and stops at <see cref="PrepareOptions.MaxInputBytes"/> with a message naming the option.
/// </summary>
public static class InputLimit
{
    /// <summary>The default limit on one input (after decompression): 1 GiB.</summary>
    public const long DefaultBytes = 1L << 30;

    /// <summary>The largest limit: one input is held in memory as one array.</summary>
    public const long MaxBytes = 0x7FFFFFC7 - 1; // Array.MaxLength - 1: MemoryStream refuses one byte more ("Stream was too long")

    /// <summary>The option that sets the limit, in MiB (named in messages).</summary>
    public const string Option = "--max-input-mb";

    /// <summary>
    /// All bytes of <paramref name="stream"/>, at most <paramref name="limit"/>. <paramref name="size"/>: the size the file
    /// system reports (null for standard input); more bytes than that means the input is not a regular file.
    /// <paramref name="text"/>: check each chunk for binary data as it comes (false for compressed bytes).
    /// </summary>
    public static byte[] ReadAll(Stream stream, long limit, string name, long? size, bool text)
    {
        var memory = new MemoryStream(size is > 0 and < int.MaxValue ? (int)Math.Min(size.Value + 1, limit + 1) : 1 << 16);
        var chunk = new byte[1 << 20];
        int read;
        while ((read = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, limit + 1 - memory.Length))) > 0)
        {
            long at = memory.Length;
            memory.Write(chunk, 0, read);
            if (size is { } s && memory.Length > s)
                throw new InvalidDataException($"{name}: not a regular file (it gives more bytes than its size of {s}: a device, a pipe or a file " +
                                               "still being written); give a text file, or - for standard input");
            if (text) TextDecoding.CheckText(chunk.AsSpan(0, read), name, at);
            if (memory.Length > limit) throw TooLarge(name, limit);
        }
        return memory.ToArray();
    }

    /// <summary>"NAME: larger than LIMIT MiB (the --max-input-mb limit); raise it or split the input".</summary>
    public static InvalidDataException TooLarge(string name, long limit) =>
        new InvalidDataException($"{name}: larger than {limit >> 20} MiB, the limit of {Option} (default {DefaultBytes >> 20}, at most {MaxBytes >> 20}); " +
            $"raise it with {Option} or split the input into smaller files");
}

