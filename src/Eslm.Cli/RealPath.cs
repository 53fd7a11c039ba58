namespace Eslm.Cli;

/// <summary>
/// A path as the file system resolves it (POSIX realpath): every symbolic link along it followed, "." and ".." applied
/// after the link before them, so two spellings of one file compare equal. Parts that do not exist yet (an output to be
/// created) are kept as written after the last existing folder.
/// </summary>
public static class RealPath
{
    private const int MaxLinks = 40; // Linux's limit: a longer chain is a cycle

    public static string Of(string path)
    {
        string full = Path.IsPathRooted(path) ? path : Path.Combine(Directory.GetCurrentDirectory(), path);
        string root = Path.GetPathRoot(full)!;
        var pending = new List<string>(Parts(full[root.Length..]));
        string resolved = root;
        for (int links = 0; pending.Count > 0;)
        {
            string part = pending[0];
            pending.RemoveAt(0);
            if (part is "" or ".") continue;
            if (part == "..") { resolved = Path.GetDirectoryName(resolved) ?? root; continue; }
            string next = Path.Join(resolved, part);
            string? target = new FileInfo(next).LinkTarget;
            if (target is null || ++links > MaxLinks) { resolved = next; continue; }
            // The link's target replaces it: an absolute target restarts from the root, a relative one from its folder.
            if (Path.IsPathRooted(target)) resolved = Path.GetPathRoot(target)!;
            pending.InsertRange(0, Parts(Path.IsPathRooted(target) ? target[Path.GetPathRoot(target)!.Length..] : target));
        }
        return resolved;
    }

    /// <summary>Whether <paramref name="inner"/> is <paramref name="outer"/> or lies inside it (both real paths).</summary>
    public static bool IsSameOrInside(string inner, string outer) =>
        inner == outer || inner.StartsWith(Path.EndsInDirectorySeparator(outer) ? outer : outer + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private static string[] Parts(string path) => path.Split(['/', Path.DirectorySeparatorChar]);
}
