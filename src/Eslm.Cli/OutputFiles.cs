namespace Eslm.Cli;

/// <summary>
/// The output rules every command that writes files follows (docs/cli-rules.md): never replace an existing file without
/// --force, and a name given for a file inside an output folder stays a name, never a path out of that folder.
/// </summary>
public static class OutputFiles
{
    /// <summary>Throws unless <paramref name="path"/> is free or <paramref name="force"/> allows replacing it.</summary>
    public static void RequireNew(string path, bool force)
    {
        if (Directory.Exists(path)) throw new IOException($"{path}: is a folder, expected a file name");
        if (File.Exists(path) && !force) throw new IOException($"{path}: already exists (pass --force to replace it)");
    }

    /// <summary>Throws a usage error unless <paramref name="name"/> is a plain file-name part (no separators, not . or ..).</summary>
    public static string RequirePlainName(string name, string option)
    {
        if (name.Length == 0 || name is "." or ".." || name.Contains("..") || name.IndexOfAny(['/', '\\']) >= 0 || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
            throw new ArgumentException($"{option} '{name}' must be a plain name (no path separators or '..'); choose the folder with --out");
        return name;
    }
}
