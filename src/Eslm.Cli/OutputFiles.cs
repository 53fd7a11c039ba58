namespace Eslm.Cli;

/// <summary>
/// The output rules every command that writes files follows (docs/cli-rules.md): never replace an existing file without
/// --force, never replace what the command reads (not even with --force), and a name given for a file inside an output
/// folder stays a name, never a path out of that folder.
/// </summary>
public static class OutputFiles
{
    /// <summary>Throws unless <paramref name="path"/> names a file (not a folder) that is free or <paramref name="force"/> allows replacing.</summary>
    public static void RequireNew(string path, bool force, string forceOption = "--force")
    {
        RequireFileName(path);
        if (File.Exists(path) && !force) throw new IOException($"{path}: already exists (pass {forceOption} to replace it)");
    }

    /// <summary>Throws when <paramref name="path"/> is an existing folder or ends in a separator: checked before any work, not when the write fails at the end.</summary>
    public static void RequireFileName(string path)
    {
        if (Directory.Exists(path)) throw new IOException($"{path}: is a folder, expected a file");
        if (Path.EndsInDirectorySeparator(path)) throw new IOException($"{path}: names a folder (ends in '{path[^1]}'), expected a file");
    }

    /// <summary>Throws when <paramref name="folder"/>, or a folder above it, is a file: said before any work, in Eslm's words, not .NET's.</summary>
    public static void RequireFolderName(string folder)
    {
        string full = Path.GetFullPath(folder);
        for (string? p = full; p is not null; p = Path.GetDirectoryName(p))
            if (File.Exists(p)) throw new IOException($"{(p == full ? folder : p)}: is a file, expected a folder");
    }

    /// <summary>
    /// Refuses, with or without --force, an output that is one of the inputs the command reads, holds one (a folder that
    /// --force would replace) or lies inside an input folder: writing it would destroy what is being read. Compared as real
    /// paths, so a symbolic link or another spelling of an input is caught too. A usage error (exit 2): the command line
    /// names the same thing twice.
    /// </summary>
    public static void RequireApartFromInputs(string output, IEnumerable<string> inputs)
    {
        foreach (string input in inputs)
            if (Overlap(output, input) is not PathOverlap.None and var overlap)
                throw new ArgumentException($"{output}: {Describe(overlap)} the input {input}; choose another output (an input is never replaced, --force or not)");
    }

    /// <summary>
    /// Refuses a folder the command writes into without replacing it (an experiment folder) when it is or holds an input:
    /// its files (experiment.json, arm folders, the report) could land on what is read. Lying inside an input folder is
    /// allowed, as a run folder may lie inside its data folder (nothing read there is written). Inputs that do not exist
    /// (random:V data, a preset) are skipped; a missing one is reported by the command's own input check.
    /// </summary>
    public static void RequireFolderApartFromInputs(string folder, IEnumerable<string> inputs)
    {
        foreach (string input in inputs.Where(i => File.Exists(i) || Directory.Exists(i)))
            if (Overlap(folder, input) is (PathOverlap.Same or PathOverlap.Holds) and var overlap)
                throw new ArgumentException($"{folder}: {Describe(overlap)} the input {input}; choose another output (an input is never replaced, --force or not)");
    }

    /// <summary>How an output path reaches an input path (compared as real paths).</summary>
    public enum PathOverlap { None, Same, Holds, LiesInside }

    /// <summary>How writing <paramref name="output"/> would reach <paramref name="input"/>.</summary>
    public static PathOverlap Overlap(string output, string input)
    {
        string target = RealPath.Of(output), read = RealPath.Of(input);
        return target == read ? PathOverlap.Same
            : RealPath.IsSameOrInside(read, target) ? PathOverlap.Holds
            : RealPath.IsSameOrInside(target, read) ? PathOverlap.LiesInside : PathOverlap.None;
    }

    /// <summary>The overlap as the verb of an error message: "OUTPUT is / holds / lies inside INPUT".</summary>
    public static string Describe(PathOverlap overlap) => overlap switch
    {
        PathOverlap.Same => "is", PathOverlap.Holds => "holds", PathOverlap.LiesInside => "lies inside", _ => "is apart from",
    };

    /// <summary>Throws a usage error unless <paramref name="name"/> is a plain file-name part (no separators, not . or ..).</summary>
    public static string RequirePlainName(string name, string option)
    {
        if (name.Length == 0 || name is "." or ".." || name.Contains("..") || name.IndexOfAny(['/', '\\']) >= 0 || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
            throw new ArgumentException($"{option} '{name}' must be a plain name (no path separators or '..'); choose the folder with --out");
        return name;
    }
}
