using System.Text.Json;
using System.Text.Json.Nodes;
using Eslm.Checkpoints;
using Eslm.Model;
using Eslm.Records;
using Eslm.Selection;
using Eslm.Data;
using Eslm.Distributed;
using Eslm.Tensors;
using Eslm.IO;
using Eslm.Selection.Strategies;

namespace Eslm.Training;

/// <summary>Everything one training run needs besides its data.</summary>
public sealed record RunOptions
{
    public required GptConfig Model { get; init; }
    public required TrainOptions Train { get; init; }
    public SelectionOptions Selection { get; init; } = new();
    /// <summary>Run directory: metrics.jsonl, run.json and step-NNNNNNNN checkpoints.</summary>
    public required string OutputDirectory { get; init; }
    public bool Resume { get; init; }
    /// <summary>
    /// Start again in a folder that holds a run: its run files (metrics.jsonl, run.json, checkpoints) are removed first,
    /// under the folder's lock; other files stay. Cannot be combined with <see cref="Resume"/>.
    /// </summary>
    public bool Overwrite { get; init; }
    /// <summary>Options changed on resume (<c>--allow-changes</c>): {"option", "from", "to"}; added to run.json's "changes" with the step.</summary>
    public JsonArray? Changes { get; init; }
    /// <summary>Initial weights from a checkpoint instead of the seeded initialisation.</summary>
    public string? InitFrom { get; init; }
    /// <summary>
    /// Branch from another run's checkpoint (<see cref="BranchPoint"/>: `train --continue-from`, an experiment's base). Used
    /// for a new run only (a resumed run continues its own checkpoint).
    /// </summary>
    public string? ContinueFrom { get; init; }
    // Recorded in run.json (RunRecord), not used by the loop: the caller opens the data.
    public string Command { get; init; } = "train";
    public string ModelName { get; init; } = "";
    public string? Data { get; init; }
    public string? ValidationData { get; init; }
    /// <summary>An experiment arm's provenance (<see cref="RunRecord.Experiment"/>).</summary>
    public JsonObject? Experiment { get; init; }

    /// <summary>What run.json and every checkpoint record about this run (paths absolute, <see cref="RunRecord.Located"/>).</summary>
    public RunRecord Record => new RunRecord
    {
        Command = Command, ModelName = ModelName, Model = Model, Data = Data, ValidationData = ValidationData, InitFrom = InitFrom,
        ContinueFrom = ContinueFrom, Train = Train, Selection = Selection, Processes = Distributed.Size, Experiment = Experiment,
    }.Located();
    /// <summary>
    /// Optional early stop, checked before every step: when it returns true the run ends as if it had reached
    /// <see cref="TrainOptions.Steps"/> (final validation and checkpoint). Budget-matched experiments stop on a FLOP or
    /// wall-clock total this way. Null = run to Steps.
    /// </summary>
    public Func<Trainer, bool>? StopWhen { get; init; }
    /// <summary>Optional learning-rate schedule position (see <see cref="Trainer.SchedulePosition"/>).</summary>
    public Func<Trainer, double>? SchedulePosition { get; init; }
    /// <summary>
    /// Data-parallel processes (issue 8). Every rank runs the same loop on its own data slice; only rank 0 writes
    /// metrics, run.json and checkpoints; every rank reads the checkpoint it resumes from.
    /// </summary>
    public IDistributed Distributed { get; init; } = SingleProcess.Instance;
    /// <summary>Hears warnings (e.g. a stale lock of a dead process taken over); the CLI prints them on stderr.</summary>
    public Action<string>? Warn { get; init; }
}

/// <summary>Progress of a run, reported after every step and validation.</summary>
public sealed record RunProgress(int Step, int TotalSteps, StepResult? Train, double? ValidationLoss, string? Checkpoint);

/// <summary>
/// Drives a run: initial weights (seeded, a checkpoint, or the latest checkpoint of the run when resuming), the training
/// steps, periodic validation on a fixed sample of the validation split, metrics JSONL, and atomic checkpoints that resume bit-exactly.
/// </summary>
public static class TrainingRun
{
    public const string MetricsFile = MetricsLine.FileName, ConfigFile = RunRecord.FileName;

    /// <summary>
    /// --init-from: the weights of any model source <paramref name="loadModel"/> reads (run or step folder, safetensors,
    /// llm.c file, preset), or of a checkpoint folder without a loader. The shapes must match the model being trained.
    /// </summary>
    private static void InitialiseFrom(string source, Gpt model, Func<string, Gpt>? loadModel)
    {
        if (loadModel is null) { Checkpoint.Load(source, model); return; }
        using var from = loadModel(source);
        var (a, b) = (from.Config, model.Config);
        if ((a.L, a.NH, a.C, a.MaxSequenceLength, a.VocabSize, a.Vp) != (b.L, b.NH, b.C, b.MaxSequenceLength, b.VocabSize, b.Vp))
            throw new ArgumentException($"{source}: its model ({from.Config}) differs from the one to train ({model.Config}); drop the options that change its shape");
        from.Parameters.All.CopyTo(model.Parameters.All);
    }

    /// <summary>Runs to <see cref="TrainOptions.Steps"/>; returns the final checkpoint's directory.</summary>
    public static string Run(RunOptions options, IBatchSource train, Func<IBatchSource>? validation, Func<string, Gpt>? loadModel = null,
        Action<RunProgress>? progress = null, CancellationToken cancel = default)
    {
        var o = options;
        bool writer = o.Distributed.Rank == 0; // issue 8: one process writes files, the others only read
        // Issue 13: one process at a time writes a run folder (two resumes at once would mix metrics and weights).
        using var folderLock = writer ? RunLock.AcquireFolder(o.OutputDirectory, o.Warn) : null;
        Directory.CreateDirectory(o.OutputDirectory);
        if (o.Resume && o.Overwrite) throw new ArgumentException("--resume and --overwrite exclude each other: continue the run or start it again");
        if (writer && o.Overwrite) RemoveRun(o.OutputDirectory);
        using var model = new Gpt(o.Model);
        WeightInit.Initialize(model, o.Train.Seed);
        string? resumed = o.Resume ? Checkpoint.FindLatestComplete(o.OutputDirectory) : null;
        // --init-from seeds a new run only: a resumed run's weights come from its checkpoint (run.json records the source)
        if (o.InitFrom is not null && resumed is null) InitialiseFrom(o.InitFrom, model, loadModel);
        using var trainer = new Trainer(model, o.Train, train, StrategyRegistry.Create(o.Selection), loadModel)
        {
            SchedulePosition = o.SchedulePosition,
            Distributed = o.Distributed,
        };
        if (writer) foreach (var warning in trainer.Warnings) o.Warn?.Invoke(warning);

        if (resumed is not null) Restore(trainer, resumed);
        else if (o.ContinueFrom is not null) BranchPoint.Restore(trainer, o.ContinueFrom);
        string metricsPath = Path.Combine(o.OutputDirectory, MetricsFile);
        bool holdsRun = File.Exists(metricsPath) || File.Exists(Path.Combine(o.OutputDirectory, ConfigFile));
        // Issue 13: a run that stopped before its first checkpoint (a divergence, a kill) can only be started again.
        if (resumed is null && holdsRun && !o.Overwrite && Checkpoint.ListComplete(o.OutputDirectory).Count == 0)
            throw new InvalidOperationException($"{o.OutputDirectory}: holds a run that stopped before its first complete checkpoint, so there is nothing " +
                                                "to resume; pass --overwrite (without --resume) to start it again, or choose another --out");
        if (resumed is null && holdsRun && !o.Resume && !o.Overwrite)
            throw new IOException($"{o.OutputDirectory}: already holds a run (metrics.jsonl); pass --resume to continue it, --overwrite to start it again, " +
                                  "or choose another --out");
        if (o.Distributed.Size > 1) AgreeOnStart(o.Distributed, trainer.StepIndex, resumed);

        if (writer) Checkpoint.CleanStaleTemporaries(o.OutputDirectory);
        if (writer && resumed is not null) TruncateMetrics(metricsPath, trainer.StepIndex, o.Warn);
        if (writer) WriteConfig(o, resumed is null ? null : trainer.StepIndex);
        using var metrics = writer ? new MetricsWriter(metricsPath, append: true) : null;

        string? lastCheckpoint = resumed;
        int total = o.Train.Steps;
        bool Done() => trainer.StepIndex >= total || (o.StopWhen?.Invoke(trainer) ?? false);
        while (!Done())
        {
            cancel.ThrowIfCancellationRequested();
            var result = trainer.Step();
            if (!float.IsFinite(result.Loss) || !double.IsFinite(result.GradientNorm))
                throw new InvalidOperationException($"loss became {result.Loss} (gradient norm {result.GradientNorm}) at step {result.Step}; " +
                                                    $"stopped without saving; the last good checkpoint is {lastCheckpoint ?? "none"}");
            metrics?.WriteStep(result, trainer);
            progress?.Invoke(new RunProgress(trainer.StepIndex, total, result, null, null));

            bool last = Done();
            var t = o.Train;
            if (validation is not null && t.ValidationBatches > 0 && (last || (t.ValidationEvery > 0 && trainer.StepIndex % t.ValidationEvery == 0)))
            {
                var source = validation();
                int batches = Trainer.ValidationBatches(source, t.ValidationBatches);
                var measured = trainer.Evaluate(source, batches);
                (source as IDisposable)?.Dispose();
                metrics?.WriteValidation(trainer.StepIndex, measured, trainer);
                progress?.Invoke(new RunProgress(trainer.StepIndex, total, null, measured.Loss, null));
            }
            if (last || (t.CheckpointEvery > 0 && trainer.StepIndex % t.CheckpointEvery == 0))
            {
                Distributed.ReplicaCheck.AssertIdentical(o.Distributed, trainer.Model.Parameters.All, $"weights after step {trainer.StepIndex}");
                lastCheckpoint = writer ? Save(trainer, o) : Checkpoint.DirectoryFor(o.OutputDirectory, trainer.StepIndex);
                progress?.Invoke(new RunProgress(trainer.StepIndex, total, null, null, lastCheckpoint));
            }
        }
        return lastCheckpoint ?? (writer ? Save(trainer, o) : Checkpoint.DirectoryFor(o.OutputDirectory, trainer.StepIndex));
    }

    /// <summary>
    /// Issue 8: every rank must start from the same step before rank 0 touches the run directory (this allreduce is also
    /// the barrier that keeps rank 0's new metrics.jsonl from tripping another rank's "already holds a run" check).
    /// </summary>
    private static void AgreeOnStart(IDistributed processes, int step, string? resumed)
    {
        Span<double> steps = [step, (double)step * step];
        processes.AllReduceSum(steps);
        double mean = steps[0] / processes.Size;
        if (steps[1] / processes.Size - mean * mean > 0 || mean != step)
            throw new InvalidOperationException($"rank {processes.Rank} would start at step {step} ({resumed ?? "no checkpoint"}) but the ranks disagree " +
                                                $"(mean start step {mean}): every host must see the same run directory (--out on a shared file system)");
    }

    /// <summary>Checkpoint state: step, totals, data position, selector state, options.</summary>
    public static JsonObject StateOf(Trainer trainer, JsonObject? options)
    {
        var state = new JsonObject
        {
            ["step"] = trainer.StepIndex,
            ["total_flops_accounted"] = trainer.TotalFlopsAccounted,
            ["total_flops_executed"] = trainer.TotalFlopsExecuted,
            ["total_milliseconds"] = trainer.TotalMilliseconds,
            ["data"] = trainer.Data.SaveState(),
            ["strategy"] = trainer.Selector.Name,
            ["backward"] = trainer.Options.Backward.Name(),
            ["selection_state"] = trainer.Selector.SaveState(),
            ["options"] = options?.DeepClone(),
            ["processes"] = trainer.Distributed.Size, // issue 8: data-parallel world size (resume needs the same)
            ["precision"] = trainer.Options.Precision.Name(), // absent in checkpoints before bf16 existed: fp32
        };
        return state;
    }

    public static string Save(Trainer trainer, RunOptions o) =>
        Checkpoint.SaveStep(o.OutputDirectory, trainer.StepIndex, trainer.Model, trainer.Optimizer.M, trainer.Optimizer.V,
            StateOf(trainer, o.Record.OptionsJson()), trainer.Optimizer.Step, o.Train.KeepLast);

    /// <summary>Loads weights, AdamW moments and every piece of state a bit-exact continuation needs.</summary>
    public static void Restore(Trainer trainer, string checkpoint)
    {
        var loaded = Checkpoint.Load(checkpoint, trainer.Model, trainer.Optimizer.M, trainer.Optimizer.V);
        var s = loaded.State;
        ReadingState(checkpoint, () =>
        {
            trainer.StepIndex = s["step"]!.GetValue<int>();
            trainer.Optimizer.Step = checked((int)loaded.OptimizerStep);
            trainer.TotalFlopsAccounted = s["total_flops_accounted"]?.GetValue<double>() ?? 0;
            trainer.TotalFlopsExecuted = s["total_flops_executed"]?.GetValue<double>() ?? 0;
            trainer.TotalMilliseconds = s["total_milliseconds"]?.GetValue<double>() ?? 0;
            string? strategy = s["strategy"]?.GetValue<string>();
            if (strategy is not null && strategy != trainer.Selector.Name)
                throw new InvalidDataException($"{checkpoint}: was trained with strategy '{strategy}', not '{trainer.Selector.Name}'");
            // Checkpoints from before --backward existed were trained with the exact backward. clm never drops a token,
            // so for it the two modes are the same computation.
            string backward = s["backward"]?.GetValue<string>() ?? BackwardMode.Exact.Name();
            if (trainer.Selector.Name != ClmSelector.StrategyName && backward != trainer.Options.Backward.Name())
                throw new InvalidDataException($"{checkpoint}: was trained with --backward {backward}, not {trainer.Options.Backward.Name()}; " +
                                               $"resume it with --backward {backward}, or start a new run from its weights with --init-from");
            int processes = s["processes"]?.GetValue<int>() ?? 1;
            if (processes != trainer.Distributed.Size)
                throw new InvalidDataException($"{checkpoint}: was written by a run of {processes} process(es); resume it with the same count " +
                                               $"(mpirun -np {processes}), not {trainer.Distributed.Size}, or start a new run from its weights with --init-from");
            if (s["data"] is JsonObject data) trainer.Data.RestoreState(data);
            if (s["selection_state"] is JsonObject sel) trainer.Selector.RestoreState(sel);
        });
    }

    /// <summary>
    /// Runs <paramref name="read"/> over a checkpoint's state.json values (a resume's, a branch's): a value missing or of
    /// the wrong JSON type is one error naming the checkpoint, and so is a state a part refuses (the data loader's, the
    /// selector's), whose own message cannot know which checkpoint it came from.
    /// </summary>
    internal static void ReadingState(string checkpoint, Action read)
    {
        try { read(); }
        catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException)
        {
            throw new InvalidDataException($"{checkpoint}: state.json is malformed ({e.Message})");
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(checkpoint, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{checkpoint}: {e.Message}", e);
        }
    }

    /// <summary>Removes a run's own files (metrics, run.json, checkpoints and their temporaries) for --overwrite; other files stay.</summary>
    private static void RemoveRun(string dir)
    {
        foreach (string path in RunFiles(dir))
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            else File.Delete(path);
    }

    /// <summary>What <see cref="RunOptions.Overwrite"/> removes from <paramref name="dir"/>: metrics, run.json and every (temporary) checkpoint.</summary>
    public static IEnumerable<string> RunFiles(string dir) =>
        !Directory.Exists(dir) ? []
        : new[] { MetricsFile, ConfigFile }.Select(f => Path.Combine(dir, f)).Where(File.Exists)
            .Concat(Directory.EnumerateDirectories(dir, "step-*")).Concat(Directory.EnumerateDirectories(dir, ".step-*")).ToList();

    /// <summary>
    /// After a resume, drops metrics lines of steps the interrupted run logged past its last checkpoint. A log that lacks
    /// steps before the checkpoint (deleted, or cut short) cannot be repaired: training goes on, and the gap is named.
    /// </summary>
    private static void TruncateMetrics(string path, int resumeStep, Action<string>? warn)
    {
        if (!File.Exists(path))
        {
            if (resumeStep > 0) warn?.Invoke($"{path} is missing: the run resumes at step {resumeStep}, so its log holds no line of steps 0–{resumeStep - 1}");
            return;
        }
        // A torn last line from a kill is dropped; a damaged line elsewhere is an error (the log is not rewritten).
        var kept = MetricsLine.ReadEntries(path)
            // Train lines carry the 0-based step index; validation lines the count of steps done.
            .Where(e => e.Line is ValidationMetrics ? e.Line.Step <= resumeStep : e.Line.Step < resumeStep)
            .ToList();
        var logged = kept.Where(e => e.Line is TrainMetrics).Select(e => e.Line.Step).ToHashSet();
        int missing = Enumerable.Range(0, resumeStep).Count(step => !logged.Contains(step));
        if (missing > 0)
            warn?.Invoke($"{path} lacks {missing} of the {resumeStep} train steps before the checkpoint it resumes from " +
                         $"(first missing: step {Enumerable.Range(0, resumeStep).First(step => !logged.Contains(step))}); the log keeps that gap");
        AtomicFile.WriteAllLines(path, kept.Select(e => e.Text), flushToDisk: false);
    }

    /// <summary>
    /// run.json: the architecture and the resolved options; on a resume (<paramref name="resumedAt"/>) also every option
    /// changed so far (the earlier resumes' "changes" kept, this one's appended with its step). A run never changed has no
    /// "changes" key.
    /// </summary>
    private static void WriteConfig(RunOptions o, int? resumedAt)
    {
        string path = Path.Combine(o.OutputDirectory, ConfigFile);
        var changes = new JsonArray();
        if (resumedAt is { } step)
        {
            try
            {
                if (File.Exists(path) && JsonNode.Parse(File.ReadAllText(path))?["changes"] is JsonArray earlier)
                    foreach (var c in earlier) changes.Add(c?.DeepClone());
            }
            catch (JsonException) { /* a damaged run.json is rewritten whole */ }
            foreach (var c in o.Changes ?? [])
            {
                var entry = new JsonObject { ["step"] = step };
                foreach (var (k, v) in c!.AsObject()) entry[k] = v?.DeepClone();
                changes.Add(entry);
            }
        }
        AtomicFile.WriteAllText(path, o.Record.ToFileText(changes), flushToDisk: false);
    }
}
