using System.Text.Json.Nodes;
using Eslm.Checkpoints;
using Eslm.Data;
using Eslm.Records;
using Eslm.Selection;
using Eslm.Training;
using Xunit;

namespace Eslm.Tests.Training;

/// <summary>
/// RunOptions.ContinueFrom (continued pretraining): a run that branches from another's checkpoint takes its weights,
/// AdamW moments and data position, and counts its own steps and FLOPs from zero.
/// </summary>
public class BranchTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("eslm-branch-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>Constant learning rate (no warmup, a cosine floor of 1), so splitting a run changes no step's rate.</summary>
    private RunOptions Options(string name, int steps, string? continueFrom = null) => new()
    {
        Model = TrainerHarness.Tiny,
        Train = TrainerHarness.Options(batch: 4, steps: steps) with { WarmupSteps = 0, MinLearningRateFraction = 1, ValidationBatches = 0, CheckpointEvery = 0 },
        Selection = new SelectionOptions { Strategy = "clm" }, OutputDirectory = Path.Combine(_dir, name), ContinueFrom = continueFrom,
    };

    private DataLoader Shuffled(SamplingMode sampling = SamplingMode.Shuffled)
    {
        string shard = Path.Combine(_dir, "train.bin");
        if (!File.Exists(shard)) TokenShard.Write(shard, Enumerable.Range(0, 1200).Select(i => (ushort)(i * 7 % TrainerHarness.Tiny.VocabSize)).ToArray());
        return DataLoader.Open(shard, "train", 4, 16, sampling, seed: 8);
    }

    private static JsonObject State(string checkpoint) => Checkpoint.ReadState(checkpoint).Root;

    [Fact]
    public void Three_steps_then_a_branch_of_three_equals_six_steps_at_a_constant_rate()
    {
        TrainerHarness.NewModel(); // loads OpenBLAS
        string straight, basis, branch;
        using (var data = Shuffled()) straight = TrainingRun.Run(Options("straight", 6), data, null);
        using (var data = Shuffled()) basis = TrainingRun.Run(Options("base", 3), data, null);
        using (var data = Shuffled()) branch = TrainingRun.Run(Options("branch", 3, continueFrom: basis), data, null);

        using var a = Checkpoint.LoadModel(straight);
        using var b = Checkpoint.LoadModel(branch);
        Assert.Equal(a.Parameters.All.ToArray(), b.Parameters.All.ToArray()); // weights, moments, Adam's step and data position carried
        // The branch counts its own work: 3 steps, half the straight run's FLOPs, its log from step 0.
        Assert.Equal(3, (int)State(branch)["step"]!);
        Assert.Equal((double)State(straight)["total_flops_accounted"]! / 2, (double)State(branch)["total_flops_accounted"]!, 1e-9);
        Assert.Equal(0, MetricsLine.ReadFile(Path.Combine(_dir, "branch", TrainingRun.MetricsFile)).First().Step);
        Assert.EndsWith("step-00000003", branch);
    }

    [Fact]
    public void A_branch_whose_windows_differ_from_its_base_is_refused_naming_the_checkpoint()
    {
        TrainerHarness.NewModel();
        string basis;
        using (var data = Shuffled()) basis = TrainingRun.Run(Options("base", 2), data, null);
        using var other = Shuffled(SamplingMode.Sequential);
        var e = Assert.Throws<InvalidDataException>(() => TrainingRun.Run(Options("branch", 2, continueFrom: basis), other, null));
        Assert.StartsWith(basis + ": data-loader state", e.Message);
    }

    [Fact]
    public void A_resume_whose_data_loader_refuses_the_state_names_the_checkpoint_as_a_branch_does()
    {
        TrainerHarness.NewModel();
        string run;
        using (var data = Shuffled()) run = TrainingRun.Run(Options("run", 2), data, null);
        using var other = Shuffled(SamplingMode.Sequential);
        using var trainer = new Trainer(Checkpoint.LoadModel(run), Options("run", 2).Train, other);
        var e = Assert.Throws<InvalidDataException>(() => TrainingRun.Restore(trainer, run));
        Assert.StartsWith(run + ": data-loader state: saved with sampling", e.Message);
    }

    [Fact]
    public void A_resumed_branch_continues_its_own_checkpoint_not_the_base()
    {
        TrainerHarness.NewModel();
        string basis, whole;
        using (var data = Shuffled()) basis = TrainingRun.Run(Options("base", 2), data, null);
        using (var data = Shuffled()) whole = TrainingRun.Run(Options("whole", 4, continueFrom: basis) with { Train = Options("x", 4).Train with { CheckpointEvery = 2 } }, data, null);
        var interrupted = Options("interrupted", 4, continueFrom: basis) with { Train = Options("x", 4).Train with { CheckpointEvery = 2 }, Resume = true };
        using (var cancel = new CancellationTokenSource())
        using (var data = Shuffled())
            Assert.Throws<OperationCanceledException>(() => TrainingRun.Run(interrupted, data, null,
                progress: p => { if (p.Checkpoint is not null && p.Step == 2) cancel.Cancel(); }, cancel: cancel.Token));
        string resumed;
        using (var data = Shuffled()) resumed = TrainingRun.Run(interrupted, data, null);
        using var a = Checkpoint.LoadModel(whole);
        using var b = Checkpoint.LoadModel(resumed);
        Assert.Equal(a.Parameters.All.ToArray(), b.Parameters.All.ToArray());
    }
}
