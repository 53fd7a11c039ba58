using System.CommandLine;
using System.Text.Json.Nodes;
using Eslm.Checkpoints;
using Eslm.Selection;

namespace Eslm.Cli;

/// <summary>
/// `train --resume`: every option the run recorded (run.json's architecture, training options, data and selection; the
/// latest checkpoint's sampling mode) defaults to the recorded value, so `eslm train --resume --out runs/x` continues the
/// run as it was started. A recorded option given again with another value is a changed run: refused unless
/// `--allow-changes`, and then recorded in run.json's "changes" list with the step (docs/cli-rules.md). A folder that holds
/// no run is an error, never a fresh start.
/// </summary>
public static class ResumeDefaults
{
    public const string AllowChanges = "--allow-changes";

    /// <summary>The arguments with the recorded options the command line leaves out appended (unchanged when not resuming).</summary>
    public static string[] Expand(RootCommand root, string[] args)
    {
        if (args.Length == 0 || args[0] != "train" || !args.Contains("--resume") || args.Any(a => a is "--help" or "-h" or "-?")) return args;
        var train = root.Subcommands.First(c => c.Name == "train");
        var parsed = root.Parse(args);
        if (!parsed.GetValue<bool>("--resume")) return args; // "--resume" was the value of another option
        if (parsed.GetValue<bool>("--overwrite"))
            throw new ArgumentException("--resume and --overwrite exclude each other: continue the run or start it again");
        string outDir = parsed.GetValue<string>("--out")!;
        var (runJson, entries) = Recorded(outDir);
        var changed = Differences(parsed, train, entries, explicitOnly: true);
        if (changed.Count > 0 && !parsed.GetValue<bool>(AllowChanges))
            throw new ArgumentException($"{runJson}: --resume with changed options ({Describe(changed)}); pass {AllowChanges} to continue with them " +
                                        "(they are recorded in run.json), or resume without them");
        var injected = new List<string>();
        foreach (var entry in entries)
        {
            var option = OptionFile.Find(train, entry.Flag);
            if (option is null || parsed.GetResult(option) is { Implicit: false }) continue;
            injected.AddRange(OptionFile.Tokens(option, entry, runJson));
        }
        return args.Concat(injected).ToArray();
    }

    /// <summary>
    /// The recorded options that <paramref name="r"/> (the expanded command line) changes: run.json's "changes" entries,
    /// without the step, which training adds.
    /// </summary>
    public static JsonArray Changes(ParseResult r, Command train, string outDir)
    {
        var (_, entries) = Recorded(outDir);
        return new JsonArray([.. Differences(r, train, entries, explicitOnly: false).Select(c =>
            (JsonNode)new JsonObject { ["option"] = c.Flag, ["from"] = c.From, ["to"] = c.To })]);
    }

    /// <summary>run.json's path and its option entries, plus the latest checkpoint's sampling mode.</summary>
    private static (string RunJson, List<OptionEntry> Entries) Recorded(string outDir)
    {
        string runJson = Path.Combine(outDir, Eslm.Training.TrainingRun.ConfigFile);
        if (!File.Exists(runJson))
            throw new IOException($"{outDir}: --resume: no run here (no {Eslm.Training.TrainingRun.ConfigFile}); leave out --resume to start a new run");
        var entries = OptionFile.Entries(OptionFile.Read(runJson, "run.json"));
        // The sampling mode is not in run.json (whose layout golden runs pin) but every checkpoint's data state has it.
        if (Checkpoint.FindLatestComplete(outDir) is { } checkpoint
            && JsonNode.Parse(File.ReadAllText(Path.Combine(checkpoint, Checkpoint.StateFile)))?["data"]?["sampling"] is JsonValue sampling)
            entries.Add(new OptionEntry("data.sampling", "--sampling", sampling.DeepClone()));
        return (runJson, entries);
    }

    private sealed record Change(string Flag, string From, string To);

    private static List<Change> Differences(ParseResult parsed, Command train, List<OptionEntry> entries, bool explicitOnly)
    {
        var changes = new List<Change>();
        foreach (var entry in entries)
        {
            var option = OptionFile.Find(train, entry.Flag);
            if (option is null) continue;
            var result = parsed.GetResult(option);
            if (explicitOnly && result is not { Implicit: false }) continue;
            object? now = result?.GetValueOrDefault<object?>();
            var recordedParse = train.Parse(OptionFile.Tokens(option, entry, "run.json").ToArray());
            object? then = recordedParse.GetResult(option)?.GetValueOrDefault<object?>();
            if (!Same(entry, then, now)) changes.Add(new Change(option.Name, Text(then), Text(now)));
        }
        return changes;
    }

    /// <summary>Equal values; paths compare as full paths, names (enum values) without case or dashes.</summary>
    private static bool Same(OptionEntry entry, object? a, object? b)
    {
        if (a is string x && b is string y)
        {
            bool path = entry.Key.EndsWith("data", StringComparison.Ordinal) || StrategyRegistry.Settings.Any(s => s.IsPath && s.Flag == entry.Flag);
            return path ? Path.GetFullPath(x) == Path.GetFullPath(y)
                : string.Equals(x.Replace("-", ""), y.Replace("-", ""), StringComparison.OrdinalIgnoreCase);
        }
        return Equals(a, b);
    }

    private static string Text(object? v) => v switch
    {
        null => "none",
        float f => f.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        _ => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };

    private static string Describe(List<Change> changes) => string.Join(", ", changes.Select(c => $"{c.Flag} {c.From} → {c.To}"));
}
