using Eslm.Tests.Checkpoints;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>What `train` prints at the start: a warmup warning, and a pointer to run.json instead of its JSON (issue 13, items 18, 22).</summary>
public class TrainOutputTests
{
    private static string[] Train(string outDir, params string[] extra) =>
        ["train", "--model", "tiny", "--data", "random:50257", "--out", outDir, "--batch", "1", "--seq", "8", "--steps", "3", "--val-batches", "0",
         "--threads", "1", .. extra];

    [Fact]
    public void Warmup_at_least_steps_warns_that_the_peak_rate_is_never_reached()
    {
        using var dir = new TempDir();
        var r = CliHarness.Run(Train(dir["a"])); // default --warmup 100
        Assert.Equal(0, r.Code);
        Assert.Contains("eslm: warning: --warmup 100 >= --steps 3", r.Err);
        Assert.DoesNotContain("warmup", CliHarness.Run(Train(dir["b"], "--warmup", "1")).Err);
    }

    [Fact]
    public void Train_points_to_run_json_and_prints_the_configuration_only_with_verbose()
    {
        using var dir = new TempDir();
        var quiet = CliHarness.Run(Train(dir["a"], "--warmup", "1"));
        Assert.Contains("configuration: " + System.IO.Path.Combine(dir["a"], "run.json"), quiet.Err);
        Assert.DoesNotContain("\"min_lr_fraction\"", quiet.Err);
        Assert.Contains("\"min_lr_fraction\"", CliHarness.Run(Train(dir["b"], "--warmup", "1", "--verbose")).Err);
    }
}
