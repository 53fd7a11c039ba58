using Eslm.Tests.Checkpoints;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>A run that stopped before its first checkpoint can be started again with --overwrite (issue 13, item 17).</summary>
public class RestartTests
{
    private static string[] Train(string outDir, string lr) =>
        ["train", "--model", "tiny", "--data", "random:50257", "--out", outDir, "--batch", "2", "--seq", "16", "--steps", "3", "--lr", lr,
         "--warmup", "0", "--grad-clip", "0", "--val-batches", "0", "--threads", "1"];

    [Fact]
    public void A_run_that_diverged_before_its_first_checkpoint_says_how_to_restart_and_overwrite_restarts_it()
    {
        using var dir = new TempDir();
        Assert.Equal(1, CliHarness.Run(Train(dir["run"], "1e30")).Code); // diverges, no checkpoint
        Assert.True(File.Exists(Path.Combine(dir["run"], "metrics.jsonl")));

        CliHarness.AssertOneLineError(CliHarness.Run([.. Train(dir["run"], "0.001"), "--resume", "--allow-changes"]), 1, dir["run"], "--overwrite");
        CliHarness.AssertOneLineError(CliHarness.Run(Train(dir["run"], "0.001")), 1, dir["run"], "--overwrite");

        File.WriteAllText(Path.Combine(dir["run"], "notes.txt"), "mine");
        var r = CliHarness.Run([.. Train(dir["run"], "0.001"), "--overwrite"]);
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(dir["run"], "metrics.jsonl")).Count(l => l.Contains("\"type\":\"train\"")));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(dir["run"], "notes.txt"))); // only the run's own files go
    }

    [Fact]
    public void Overwrite_with_resume_is_a_usage_error()
    {
        using var dir = new TempDir();
        Assert.Equal(2, CliHarness.Run([.. Train(dir["run"], "0.001"), "--resume", "--overwrite"]).Code);
    }
}
