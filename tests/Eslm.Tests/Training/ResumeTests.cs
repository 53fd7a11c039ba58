using Eslm.Selection;
using Eslm.Training;
using Xunit;
using Eslm.Data;

namespace Eslm.Tests.Training;

public class ResumeTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "eslm-resume-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }

    private RunOptions Options(string name, SelectionOptions selection) => new()
    {
        Model = TrainerHarness.Tiny, Train = TrainerHarness.Options(batch: 4, accumulation: 2, steps: 6) with { CheckpointEvery = 3, ValidationBatches = 0 },
        Selection = selection, OutputDirectory = Path.Combine(_dir, name), Resume = true,
    };

    private static RandomTokenSource Data() => new(4, 16, TrainerHarness.Tiny.VocabSize, 21);

    [Theory]
    [InlineData("random")]
    [InlineData("ada-eslm")]
    [InlineData("clm")]
    public void Training_six_steps_equals_three_steps_then_resume_and_three_more(string strategy)
    {
        TrainerHarness.NewModel(); // loads OpenBLAS
        var selection = new SelectionOptions { Strategy = strategy, Keep = 0.5, Alpha = 0.4 }.With(new Eslm.Selection.Strategies.AdaEslmSettings { AdaRule = Eslm.Selection.Strategies.AdaRule.Ratio });
        string straight = TrainingRun.Run(Options("straight", selection), Data(), null);

        var interrupted = Options("resumed", selection);
        using (var cancel = new CancellationTokenSource())
        {
            Assert.Throws<OperationCanceledException>(() => TrainingRun.Run(interrupted, Data(), null,
                progress: p => { if (p.Checkpoint is not null && p.Step == 3) cancel.Cancel(); }, cancel: cancel.Token));
        }
        string resumed = TrainingRun.Run(interrupted, Data(), null);

        using var a = Eslm.Checkpoints.Checkpoint.LoadModel(straight);
        using var b = Eslm.Checkpoints.Checkpoint.LoadModel(resumed);
        Assert.Equal(a.Parameters.All.ToArray(), b.Parameters.All.ToArray());
        var linesA = File.ReadAllLines(Path.Combine(Path.GetDirectoryName(straight)!, TrainingRun.MetricsFile)).Select(StripTimes);
        var linesB = File.ReadAllLines(Path.Combine(Path.GetDirectoryName(resumed)!, TrainingRun.MetricsFile)).Select(StripTimes);
        Assert.Equal(linesA, linesB);
    }

    [Fact]
    public void Shuffled_windows_resume_where_they_stopped()
    {
        // A shard of 1,200 tokens holds 74 windows of T = 16: the 12 micro-batches of 4 rows cross no epoch, and the
        // resumed run must continue the interrupted epoch's order (the loader state carries the permutation's key).
        TrainerHarness.NewModel();
        Directory.CreateDirectory(_dir);
        string shard = Path.Combine(_dir, "train.bin");
        TokenShard.Write(shard, Enumerable.Range(0, 1200).Select(i => (ushort)(i * 7 % TrainerHarness.Tiny.VocabSize)).ToArray());
        DataLoader Shuffled() => DataLoader.Open(shard, "train", 4, 16, SamplingMode.Shuffled, seed: 8);
        var selection = new SelectionOptions { Strategy = "clm" };
        string straight;
        using (var data = Shuffled()) straight = TrainingRun.Run(Options("straight-shuffled", selection), data, null);

        var interrupted = Options("resumed-shuffled", selection);
        using (var cancel = new CancellationTokenSource())
        using (var data = Shuffled())
        {
            Assert.Throws<OperationCanceledException>(() => TrainingRun.Run(interrupted, data, null,
                progress: p => { if (p.Checkpoint is not null && p.Step == 3) cancel.Cancel(); }, cancel: cancel.Token));
        }
        string resumed;
        using (var data = Shuffled()) resumed = TrainingRun.Run(interrupted, data, null);

        using var a = Eslm.Checkpoints.Checkpoint.LoadModel(straight);
        using var b = Eslm.Checkpoints.Checkpoint.LoadModel(resumed);
        Assert.Equal(a.Parameters.All.ToArray(), b.Parameters.All.ToArray());
    }

    /// <summary>Metrics lines without their wall-clock fields (which differ run to run).</summary>
    private static string StripTimes(string line)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(line)!.AsObject();
        foreach (var key in new[] { "tokens_per_s", "ms_per_step", "step_ms", "total_seconds" }) node.Remove(key);
        return node.ToJsonString();
    }

    [Fact]
    public void Resuming_with_the_other_backward_mode_is_refused()
    {
        TrainerHarness.NewModel();
        var selection = new SelectionOptions { Strategy = "random", Keep = 0.5 };
        var o = Options("modes", selection);
        using (var cancel = new CancellationTokenSource())
        {
            Assert.Throws<OperationCanceledException>(() => TrainingRun.Run(o, Data(), null,
                progress: p => { if (p.Checkpoint is not null && p.Step == 3) cancel.Cancel(); }, cancel: cancel.Token));
        }
        var e = Assert.Throws<InvalidDataException>(() => TrainingRun.Run(o with { Train = o.Train with { Backward = Eslm.Model.BackwardMode.Exact } }, Data(), null));
        Assert.Contains("--backward kept-rows", e.Message);
    }

    [Fact]
    public void A_second_run_into_the_same_directory_without_resume_is_refused()
    {
        TrainerHarness.NewModel();
        var o = Options("twice", new SelectionOptions()) with { Resume = false };
        TrainingRun.Run(o, Data(), null);
        var e = Assert.Throws<IOException>(() => TrainingRun.Run(o, Data(), null));
        Assert.Contains("--resume", e.Message);
    }
}
