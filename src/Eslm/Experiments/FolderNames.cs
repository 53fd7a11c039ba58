namespace Eslm.Experiments;

/// <summary>
/// Names in an experiment file that become folders: the experiment's (under runs/) and each arm's (inside the experiment
/// folder). "." or ".." would write beside or above the folder, and an arm named like something the runner keeps there
/// (plots/, reference/, report.md, a model or budget folder, a lock) would write into it or be left out of a commit.
/// </summary>
public static class FolderNames
{
    /// <summary>What the runner and the report write at an experiment folder's top level (ExperimentReport's report.md,
    /// plots/ and summary.json live in Eslm.Reporting, above this layer).</summary>
    public static readonly string[] Reserved =
        [ExperimentRunner.ReferenceFolder, BaseSpec.Folder, "plots", "report.md", "summary.json", ExperimentRunner.SpecFile, "metrics.jsonl"];

    /// <summary>Folder levels of a grid (<see cref="GridPoint"/>) and names the folder's .gitignore leaves out of a commit
    /// (<see cref="CommittedRuns.IgnoreText"/>: checkpoints, locks; a leading "." covers hidden and temporary files).</summary>
    private static readonly string[] ReservedPrefixes = ["budget-", "lr-", "step-", ".", ExperimentRunner.ReferenceFolder + "."];

    /// <summary>Null when <paramref name="name"/> is one folder name (not empty, ".", "..", no separator or space), else why not.</summary>
    public static string? PlainProblem(string name) =>
        name.Length == 0 ? "is empty"
        : name is "." or ".." ? "would name the folder itself or its parent"
        : name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name.Contains('\\') || name.Contains(' ') ? "holds a separator, space or other character a folder name cannot have"
        : null;

    /// <summary>Null when an arm may be named <paramref name="name"/> beside the given model folders, else why not.</summary>
    public static string? ArmProblem(string name, IEnumerable<string> modelFolders)
    {
        if (PlainProblem(name) is { } problem) return problem;
        bool taken = Reserved.Contains(name) || modelFolders.Contains(name) || ReservedPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal))
                     || name.EndsWith(".lock", StringComparison.Ordinal) || name.Contains(".lock.", StringComparison.Ordinal)
                     || name.EndsWith(".reference-losses.bin", StringComparison.Ordinal);
        return taken
            ? $"is one the runner uses in the experiment folder ({string.Join(", ", Reserved)}, model folders, " +
              $"{string.Join(", ", ReservedPrefixes.Select(p => p + "*"))}, *.lock); choose another"
            : null;
    }
}
