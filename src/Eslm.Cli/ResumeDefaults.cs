using System.Text.Json.Nodes;
using Eslm.Checkpoints;
using Eslm.Data;
using Eslm.Records;
using Eslm.Training;

namespace Eslm.Cli;

/// <summary>
/// `train --resume`: the run's run.json is read back as the typed <see cref="RunRecord"/> and every recorded option
/// (architecture, inputs, every <see cref="TrainOptions"/> option, selection) is the default, so
/// `eslm train --resume --out runs/x` continues the run as it was started. An option the command line sets to another
/// value is a changed run: refused unless `--allow-changes`, and then recorded in run.json's "changes" list with the step
/// (docs/cli-rules.md). A folder that holds no run is an error, never a fresh start.
/// </summary>
public static class ResumeDefaults
{
    public const string AllowChanges = "--allow-changes";

    /// <summary>The run recorded in <paramref name="outDir"/>.</summary>
    public static RunRecord Recorded(string outDir)
    {
        string path = Path.Combine(outDir, RunRecord.FileName);
        if (!File.Exists(path))
            throw new IOException($"{outDir}: --resume: no run here (no {RunRecord.FileName}); leave out --resume to start a new run");
        var json = StrictJson.ReadObject(path, RunRecord.FileName);
        var record = RunRecord.FromJson(json, path);
        // Before issue 22 run.json did not record the sampling mode; every checkpoint's data state has it.
        if (json["options"]?["sampling"] is null && Checkpoint.FindLatestComplete(outDir) is { } checkpoint
            && JsonNode.Parse(File.ReadAllText(Path.Combine(checkpoint, Checkpoint.StateFile)))?["data"]?["sampling"] is JsonValue sampling
            && sampling.TryGetValue<string>(out var name) && EnumNames.TryParse(typeof(SamplingMode), name, out var mode))
            record = record with { Train = record.Train with { Sampling = (SamplingMode)mode } };
        return record;
    }

    /// <summary>
    /// The options <paramref name="now"/> changes from <paramref name="recorded"/> as run.json's "changes" entries
    /// (without the step, which training adds); refused, naming them, unless <paramref name="allowed"/>.
    /// </summary>
    public static JsonArray Changes(RunRecord recorded, RunRecord now, string outDir, bool allowed)
    {
        var changes = recorded.ChangesTo(now);
        if (changes.Count > 0 && !allowed)
            throw new ArgumentException($"{Path.Combine(outDir, RunRecord.FileName)}: --resume with changed options " +
                                        $"({string.Join(", ", changes.Select(c => $"{c.Flag} {c.From} → {c.To}"))}); pass {AllowChanges} to continue with them " +
                                        "(they are recorded in run.json), or resume without them");
        return new JsonArray([.. changes.Select(c => (JsonNode)new JsonObject { ["option"] = c.Flag, ["from"] = c.From, ["to"] = c.To })]);
    }
}
