using System.Runtime.InteropServices;
using System.Text;

namespace Eslm.IO;

/// <summary>
/// Crash-safe writes: the content goes to a hidden temporary sibling (<see cref="TemporarySibling"/>), optionally flushed
/// to disk (fsync), then is renamed over the target in one step, so readers see either the old file or the complete new
/// one, never a torn write. On failure the temporary is removed and the target is left as it was.
/// Depends on nothing else in Eslm, so every layer may use it.
/// </summary>
public static class AtomicFile
{
    /// <summary>
    /// The temporary name next to <paramref name="fullPath"/>: <c>.NAME.tmp-PID-GUID</c> (hidden, unique per writer; the
    /// PID lets a cleanup tell a live writer's temporary from a crashed one's, see Checkpoint.CleanStaleTemporaries).
    /// </summary>
    public static string TemporarySibling(string fullPath) =>
        Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");

    /// <summary>
    /// Writes <paramref name="path"/> through <paramref name="write"/>. The directory must exist.
    /// <paramref name="flushToDisk"/>: fsync the file and the directory, so the new content survives a power loss.
    /// </summary>
    public static void Write(string path, Action<FileStream> write, bool flushToDisk = true)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"{path}: directory {dir} does not exist");
        string temp = TemporarySibling(full);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(stream);
                stream.Flush(flushToDisk);
            }
            File.Move(temp, full, overwrite: true);
            if (flushToDisk) SyncDirectory(dir);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public static void WriteAllBytes(string path, byte[] bytes, bool flushToDisk = true) =>
        Write(path, s => s.Write(bytes), flushToDisk);

    /// <summary>A copy of <paramref name="source"/> that a reader of <paramref name="destination"/> sees whole or not at all.</summary>
    public static void Copy(string source, string destination, bool flushToDisk = true) =>
        Write(destination, s => { using var input = File.OpenRead(source); input.CopyTo(s); }, flushToDisk);

    /// <summary>UTF-8 without a byte-order mark (as <see cref="File.WriteAllText(string, string?)"/>).</summary>
    public static void WriteAllText(string path, string text, bool flushToDisk = true) =>
        WriteAllBytes(path, Encoding.UTF8.GetBytes(text), flushToDisk);

    /// <summary>Each line followed by "\n", UTF-8 without a byte-order mark.</summary>
    public static void WriteAllLines(string path, IEnumerable<string> lines, bool flushToDisk = true) =>
        Write(path, s =>
        {
            using var writer = new StreamWriter(s, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
            foreach (string line in lines) { writer.Write(line); writer.Write('\n'); }
        }, flushToDisk);

    /// <summary>
    /// Replaces the directory <paramref name="directory"/> by one that <paramref name="fill"/> writes into a fresh
    /// temporary sibling (<see cref="TemporarySibling"/>; the parent is created). Publishing is one rename: an existing
    /// directory of that name is first moved aside to <c>.NAME.old-GUID</c> and deleted after. On failure the temporary is
    /// removed and an existing directory is left as it was. <paramref name="flushToDisk"/>: fsync the new directory and
    /// the parent (the files inside are the caller's to flush). <paramref name="unchanged"/>, when given, is asked just
    /// before publishing whether the directory is still as the caller last saw it; if not (another process wrote it
    /// meanwhile), nothing is published and an <see cref="IOException"/> says so, so the other's output is never replaced.
    /// </summary>
    public static void ReplaceDirectory(string directory, Action<string> fill, bool flushToDisk = true, Func<bool>? unchanged = null)
    {
        string final = Path.GetFullPath(directory.TrimEnd(Path.DirectorySeparatorChar));
        string parent = Path.GetDirectoryName(final)!;
        Directory.CreateDirectory(parent);
        string temp = TemporarySibling(final);
        try
        {
            Directory.CreateDirectory(temp);
            fill(temp);
            if (flushToDisk) SyncDirectory(temp);
            if (unchanged is not null && !unchanged())
                throw new IOException($"{directory}: was written by another process meanwhile; it is kept as that process left it and nothing was written");
            string? old = null;
            if (Directory.Exists(final))
            {
                old = Path.Combine(parent, $".{Path.GetFileName(final)}.old-{Guid.NewGuid():N}");
                Directory.Move(final, old);
            }
            Directory.Move(temp, final);
            if (flushToDisk) SyncDirectory(parent);
            if (old is not null) TryDeleteDirectory(old);
        }
        catch
        {
            TryDeleteDirectory(temp);
            throw;
        }
    }

    /// <summary>fsync on a directory so a rename inside it survives a power loss (no-op where unsupported).</summary>
    public static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        int fd = Posix.open(directory, 0 /* O_RDONLY */);
        if (fd < 0) return;
        try { Posix.fsync(fd); } finally { Posix.close(fd); }
    }

    private static void TryDelete(string path)
    {
        try { if (File.Exists(path)) File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static void TryDeleteDirectory(string path)
    {
        try { if (Directory.Exists(path)) Directory.Delete(path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static class Posix
    {
        [DllImport("libc", SetLastError = true)] public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);
        [DllImport("libc", SetLastError = true)] public static extern int fsync(int fd);
        [DllImport("libc", SetLastError = true)] public static extern int close(int fd);
    }
}
