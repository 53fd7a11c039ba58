using System.Runtime.InteropServices;

namespace Eslm.Data;

/// <summary>
/// The files under a folder, recursively, entering each real folder once (issue 21, defect 6): a symbolic link back to an
/// ancestor (a cycle) or a second link to a folder already read is skipped with one warning, where .NET's recursive
/// enumeration followed a cycle until the path grew too long and fed the same file dozens of times into train and val.
/// </summary>
public static class DirectoryWalk
{
    /// <summary>
    /// Every file (not folder) below <paramref name="root"/>, in no particular order. <paramref name="visited"/>: real
    /// paths of folders already read (shared between the inputs of one command, so two links to one folder read it once).
    /// </summary>
    public static List<string> Files(string root, HashSet<string> visited, Action<string>? warn)
    {
        var files = new List<string>();
        var pending = new Stack<string>();
        if (visited.Add(RealPath(root))) pending.Push(root);
        else warn?.Invoke($"{root}: a folder already read (through another name or link); read once");
        while (pending.Count > 0)
        {
            string dir = pending.Pop();
            foreach (string entry in Directory.EnumerateFileSystemEntries(dir))
            {
                if (Directory.Exists(entry)) // a folder, or a link to one
                {
                    string real = RealPath(entry);
                    if (visited.Add(real)) pending.Push(entry);
                    else warn?.Invoke($"{entry}: links to {real}, a folder already read (a symbolic-link cycle or a second link to it); read once");
                }
                else if (File.Exists(entry)) files.Add(entry);
            }
        }
        return files;
    }

    /// <summary>The canonical absolute path: every symbolic link resolved, "." and ".." removed (realpath(3)).</summary>
    public static string RealPath(string path)
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            IntPtr resolved = Posix.realpath(path, IntPtr.Zero);
            if (resolved != IntPtr.Zero)
            {
                try { return Marshal.PtrToStringUTF8(resolved)!; }
                finally { Posix.free(resolved); }
            }
        }
        var info = new FileInfo(Path.GetFullPath(path));
        return (info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) ?? info).FullName;
    }

    private static class Posix
    {
        [DllImport("libc", SetLastError = true)] public static extern IntPtr realpath([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);
        [DllImport("libc")] public static extern void free(IntPtr pointer);
    }
}
