using Eslm.IO;

namespace Eslm.Data;

/// <summary>
/// The tokens of every document prepare has read, on disk instead of in memory (issue 21: 200 MB of text needed 1.45 GB):
/// a hidden temporary file beside the output (<c>.NAME.tokens-PID-GUID</c>; on Unix unlinked as soon as it is open, so
/// nothing is left behind however the process ends), appended in reading order and read back by (offset, count) when the shards are written. Memory
/// then holds a few numbers per document, whatever the size of the input.
/// </summary>
internal sealed class TokenSpill : IDisposable
{
    private readonly FileStream _file;
    private long _count;

    public TokenSpill(string besideDirectory)
    {
        string full = Path.GetFullPath(besideDirectory);
        string path = AtomicFile.TemporarySibling(full).Replace(".tmp-", ".tokens-", StringComparison.Ordinal);
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize: 1, // each append is one document, written whole
            OperatingSystem.IsWindows() ? FileOptions.DeleteOnClose : FileOptions.None);
        // Unix: unlinked at once, so nothing is left behind even when the process is killed (the open file lives on).
        if (!OperatingSystem.IsWindows()) File.Delete(path);
    }

    /// <summary>Appends one document's token ids (GPT-2 ids fit in 16 bits); returns its offset in tokens.</summary>
    public long Append(ReadOnlySpan<int> ids)
    {
        long offset = _count;
        var bytes = new byte[ids.Length * 2];
        for (int i = 0; i < ids.Length; i++) { bytes[2 * i] = (byte)ids[i]; bytes[2 * i + 1] = (byte)(ids[i] >> 8); }
        _file.Seek(offset * 2, SeekOrigin.Begin);
        _file.Write(bytes);
        _count += ids.Length;
        return offset;
    }

    /// <summary>Reads <paramref name="destination"/>.Length tokens starting at token <paramref name="offset"/>.</summary>
    public void Read(long offset, Span<ushort> destination)
    {
        _file.Flush();
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(destination);
        int done = 0;
        while (done < bytes.Length)
        {
            int n = RandomAccess.Read(_file.SafeFileHandle, bytes[done..], offset * 2 + done);
            if (n <= 0) throw new IOException($"{_file.Name}: token spill file ended early");
            done += n;
        }
        if (!BitConverter.IsLittleEndian) for (int i = 0; i < destination.Length; i++) destination[i] = (ushort)((destination[i] >> 8) | (destination[i] << 8));
    }

    /// <summary>One document's tokens (for the few places that need them whole, such as cutting document tails).</summary>
    public ushort[] Read(long offset, int count)
    {
        var tokens = new ushort[count];
        Read(offset, tokens);
        return tokens;
    }

    public void Dispose() => _file.Dispose();
}
