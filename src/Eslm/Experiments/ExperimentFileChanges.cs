using System.Text.Json;
using System.Text.Json.Nodes;
using Eslm.Selection;
using Eslm.Training;

namespace Eslm.Experiments;

/// <summary>
/// The experiment file a folder holds (experiment.json), and which edits of it a folder with results accepts: arms and
/// grid points may be added; what would report old numbers under new options (an arm's options, the reference, the
/// evaluation, the data or training options) is refused while results it concerns are on disk.
/// </summary>
internal static class ExperimentFileChanges
{
    /// <summary>Writes the spec into the folder, after checking it against the one there (if any).</summary>
    public static void Write(ExperimentSpec spec, string directory, Action<string> log)
    {
        string path = Path.Combine(directory, ExperimentRunner.SpecFile);
        var text = spec.Source.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        if (File.Exists(path) && File.ReadAllText(path) != text)
        {
            var old = ExperimentSpec.Load(path);
            if (old.Data != spec.Data || !TrainOptionsBinding.SameResults(old.Train, spec.Train) || old.HasModelAxis != spec.HasModelAxis || old.HasBudgetAxis != spec.HasBudgetAxis
                || old.HasLearningRateAxis != spec.HasLearningRateAxis)
                throw new InvalidOperationException($"{directory}: holds an experiment with different data, training options or grid axes; " +
                                                    "use another --out or delete it");
            // A grid point may be added (a larger budget, another model); one whose folder means something else is refused.
            foreach (var point in spec.Points)
                if (old.Points.FirstOrDefault(p => p.Folder == point.Folder) is { } before
                    && (before.Model != point.Model || before.Budget != point.Budget || before.NominalSteps != point.NominalSteps))
                    throw new InvalidOperationException($"{directory}: holds {before.Label} in '{before.Folder}' with another model, budget or schedule " +
                                                        $"({before.NominalSteps} nominal steps, now {point.NominalSteps}); use another --out or delete it");
            CheckArmsUnchanged(old, spec, directory);
            CheckReferenceUnchanged(old, spec, directory);
            CheckBaseUnchanged(old, spec, directory);
            CheckEvaluationUnchanged(old, spec, directory);
            log($"{path}: the experiment file changed ({DescribeChange(old, spec)}); finished runs are kept");
        }
        ExperimentRunner.AtomicWrite(path, text);
    }

    /// <summary>
    /// What differs from the folder's experiment file, for the log: arms added or removed by name, then every other
    /// top-level key that changed (a description edit must not read as "arms added").
    /// </summary>
    private static string DescribeChange(ExperimentSpec old, ExperimentSpec spec)
    {
        var (before, now) = (old.Arms.Select(a => a.Name).ToList(), spec.Arms.Select(a => a.Name).ToList());
        var changes = new List<string>();
        if (now.Except(before).ToList() is { Count: > 0 } added) changes.Add("arms added: " + string.Join(", ", added));
        if (before.Except(now).ToList() is { Count: > 0 } removed) changes.Add("arms removed: " + string.Join(", ", removed));
        if (changes.Count == 0 && !JsonNode.DeepEquals(old.Source["arms"], spec.Source["arms"]))
            changes.Add("arm order or arms without results changed");
        changes.AddRange(ChangedKeys(old.Source, spec.Source).Where(k => k != "arms").Select(k => k + " changed"));
        return changes.Count > 0 ? string.Join("; ", changes) : "formatting only";
    }

    /// <summary>The keys of either object whose values differ (a missing key differs from a present one).</summary>
    private static List<string> ChangedKeys(JsonObject a, JsonObject b) =>
        a.Select(p => p.Key).Union(b.Select(p => p.Key)).Where(k => !JsonNode.DeepEquals(a[k], b[k])).ToList();

    /// <summary>
    /// Issue 13: an arm whose options changed while its results are on disk would be reported under the new options with
    /// the old numbers. Refused, naming the arm and the changed keys; renaming the arm (or deleting its folder) reruns it.
    /// </summary>
    private static void CheckArmsUnchanged(ExperimentSpec old, ExperimentSpec spec, string directory)
    {
        foreach (var arm in spec.Arms)
        {
            var before = old.Arms.FirstOrDefault(a => a.Name == arm.Name);
            if (before is null || !Directory.Exists(Path.Combine(directory, arm.Name))) continue;
            var (a, b) = (ArmJson(before), ArmJson(arm));
            var changed = ChangedKeys(a, b);
            if (changed.Count > 0)
                throw new InvalidOperationException($"{directory}: arm {arm.Name} has results trained with other options ({string.Join(", ", changed)} changed); " +
                                                    $"give the changed arm a new name, or delete {Path.Combine(directory, arm.Name)} to rerun it");
        }
    }

    /// <summary>
    /// A finished run's eval.json measured the eval sets, tasks and token cap of the file it ran under, and the report
    /// averages every run's figures per set name: a changed set would average two measurements as one. Refused while
    /// any run has finished.
    /// </summary>
    private static void CheckEvaluationUnchanged(ExperimentSpec old, ExperimentSpec spec, string directory)
    {
        var changed = new[] { "eval", "tasks", "eval_max_tokens" }.Where(k => !JsonNode.DeepEquals(old.Source[k], spec.Source[k])).ToList();
        if (changed.Count == 0 || !Directory.EnumerateFiles(directory, ExperimentRunner.EvalFile, SearchOption.AllDirectories).Any()) return;
        throw new InvalidOperationException($"{directory}: its finished runs were evaluated under other settings ({string.Join(", ", changed)} changed); " +
                                            "the report would average both as one: restore them, or use another --out");
    }

    /// <summary>
    /// A reference trained under other options (data, model, steps, …) would go on serving the arms that read it, recorded
    /// under the new options: refused while its folder holds a trained reference. Deleting the folder retrains it.
    /// </summary>
    private static void CheckReferenceUnchanged(ExperimentSpec old, ExperimentSpec spec, string directory)
    {
        string dir = Path.Combine(directory, ExperimentRunner.ReferenceFolder);
        if (spec.Source["reference"] is not JsonObject now || !File.Exists(Path.Combine(dir, ExperimentRunner.DoneFile))) return;
        var changed = old.Source["reference"] is JsonObject before ? ChangedKeys(before, now) : ["reference"];
        if (changed.Count > 0)
            throw new InvalidOperationException($"{directory}: its reference was trained with other options ({string.Join(", ", changed.Select(k => "reference." + k))} changed); " +
                                                $"delete {dir} (and the runs that used it) to train it again, or use another --out");
    }

    /// <summary>
    /// Every run of a continued-pretraining experiment starts from its seed's base: a base added, removed or trained under
    /// other options would leave finished runs (and trained bases) reported as continuations of the new one. Refused while
    /// any run has finished or any base has trained.
    /// </summary>
    private static void CheckBaseUnchanged(ExperimentSpec old, ExperimentSpec spec, string directory)
    {
        bool same = (old.Base, spec.Base) switch
        {
            (null, null) => true,
            ({ } a, { } b) => TrainOptionsBinding.SameResults(a.Train, b.Train),
            _ => false,
        };
        if (same) return;
        bool trained = BaseSpec.Folders(directory).Any()
                       || Directory.EnumerateFiles(directory, ExperimentRunner.EvalFile, SearchOption.AllDirectories).Any();
        if (trained)
            throw new InvalidOperationException($"{directory}: its runs were trained {(old.Base is null ? "without a base" : "from a base with other options")} " +
                                                $"(\"base\" {(spec.Base is null ? "removed" : old.Base is null ? "added" : "changed")}); use another --out, or delete its runs and {BaseSpec.Folder}/");
    }

    /// <summary>
    /// Everything that defines what an arm trains: its selection and the training options that change results (not
    /// validation, checkpointing or threads: <see cref="RunOptionAttribute.ChangesResults"/>).
    /// </summary>
    private static JsonObject ArmJson(ArmSpec arm)
    {
        var json = SelectionBinding.ToJson(arm.Selection);
        foreach (var o in TrainOptionsBinding.All.Where(o => o.ChangesResults)) json["train." + o.Key] = o.ToJson(o.ValueIn(arm.Train));
        return json;
    }
}
