using System.Text.Json.Nodes;
using Eslm.Checkpoints;
using Eslm.Data;

namespace Eslm.Training;

/// <summary>
/// Branching a run (`train --continue-from`, an experiment's "base"): a new run starts from another run's checkpoint
/// with its weights, AdamW moments and data position, so it reads on where that run stopped, while its own steps,
/// learning-rate schedule, strategy and FLOP totals start from zero. A warmup-stable-decay schedule's decay branches, or
/// selection switched on late in training, are such runs. Unlike --init-from (weights alone, fresh optimizer, data from
/// the start) the branch must read the same data with the same windows.
/// </summary>
public static class BranchPoint
{
    /// <summary>The checkpoint <paramref name="source"/> names: a step folder, or a run folder's newest complete checkpoint.</summary>
    public static string Checkpoint(string source)
    {
        if (!Directory.Exists(source))
            throw new FileNotFoundException(File.Exists(source)
                ? $"{source}: --continue-from needs a run or step folder (weights, AdamW moments and data position); a model file alone starts a run with --init-from"
                : $"{source}: --continue-from run not found");
        return Checkpoints.Checkpoint.FindLatestComplete(source)
               ?? throw new InvalidDataException($"{source}: --continue-from: no complete checkpoint here (a run or step folder written by eslm train)");
    }

    /// <summary>
    /// How a run cuts its data into windows: what a branch must share with its run for the run's data position to mean
    /// anything (besides the data itself). The experiments' "base" and `train --continue-from` both check it.
    /// </summary>
    public static (int Batch, int Seq, int GradAccum, SamplingMode Sampling) Windows(TrainOptions t) =>
        (t.BatchSize, t.SequenceLength, t.GradientAccumulation, t.Sampling);

    /// <summary>Refuses a branch that would read other data or cut other windows than its run (before any folder is made).</summary>
    public static void RequireSameWindows(string checkpoint, string data, TrainOptions train)
    {
        var options = Checkpoints.Checkpoint.ReadState(checkpoint).Root["options"] as JsonObject
                      ?? throw new InvalidDataException($"{checkpoint}: state.json records no options, so its data position cannot be continued");
        // state.json's "options" is run.json's: its training options read as --resume reads them; the other keys are not windows
        var (was, now) = (Windows(TrainOptionsBinding.Read(options, new TrainOptions(), "options.", (_, _) => { })), Windows(train));
        string recordedData = options["data"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "none", nowData = RunRecord.LocatedData(data)!;
        if (was != now || recordedData != nowData)
            throw new ArgumentException($"--continue-from {checkpoint}: its run read {recordedData} with {Describe(was)}; this run reads {nowData} with " +
                                        $"{Describe(now)}. A branch reads on where its run stopped, so it needs the same; --init-from takes the weights alone");
    }

    private static string Describe((int Batch, int Seq, int GradAccum, SamplingMode Sampling) w) =>
        $"batch {w.Batch}, seq {w.Seq}, grad accum {w.GradAccum}, {w.Sampling.ToString().ToLowerInvariant()} windows";

    /// <summary>
    /// Loads <paramref name="checkpoint"/>'s weights, AdamW moments and step count (Adam's bias correction goes on as in
    /// one run) and its data loader's position into <paramref name="trainer"/>; the step index, the FLOP and time totals
    /// and the selector stay at zero, so the branch's schedule and budget count its own steps alone.
    /// </summary>
    public static void Restore(Trainer trainer, string checkpoint)
    {
        var loaded = Checkpoints.Checkpoint.Load(checkpoint, trainer.Model, trainer.Optimizer.M, trainer.Optimizer.V);
        var s = loaded.State;
        TrainingRun.ReadingState(checkpoint, () =>
        {
            int processes = s["processes"]?.GetValue<int>() ?? 1;
            if (processes != trainer.Distributed.Size)
                throw new InvalidDataException($"{checkpoint}: was written by a run of {processes} process(es); a run continuing it needs the same count, not {trainer.Distributed.Size}");
            if (s["data"] is not JsonObject data) throw new InvalidDataException($"{checkpoint}: state.json records no data position to continue from");
            trainer.Data.RestoreState(data);
            trainer.Optimizer.Step = checked((int)loaded.OptimizerStep);
        });
    }
}
