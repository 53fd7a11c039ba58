using Eslm.Tests.Checkpoints;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>Issue 21 frictions: a shared selection option the chosen strategy does not read (`--alpha 0.9 --strategy clm`) is a warning, not silence; strategy names are case-insensitive.</summary>
public class UnusedSelectionOptionTests
{
    private static (int Code, string Out, string Err) Train(TempDir dir, params string[] extra) => CliHarness.Run(
        ["train", "--model", "tiny", "--data", "random:50257", "--out", dir["run"], "--batch", "1", "--seq", "8", "--steps", "1", "--warmup", "0",
         "--val-batches", "0", "--threads", "1", .. extra]);

    [Theory]
    [InlineData("clm", "--alpha", "0.9", "used by eslm")]
    [InlineData("eslm", "--keep", "0.3", "used by rho1, random")]
    [InlineData("rho1", "--score", "entropy", "used by eslm")]
    public void A_shared_option_the_strategy_does_not_read_is_a_warning_naming_the_strategies_that_do(string strategy, string flag, string value, string users)
    {
        using var dir = new TempDir();
        string[] rho1 = strategy == "rho1" ? ["--reference", "preset:tiny"] : [];
        var r = Train(dir, ["--strategy", strategy, flag, value, .. rho1]);
        Assert.True(r.Code == 0, r.Err);
        var warning = Assert.Single(r.Err.Split('\n'), l => l.StartsWith("eslm: warning: ", StringComparison.Ordinal) && l.Contains(flag));
        Assert.Contains($"--strategy {strategy} does not use {flag}", warning);
        Assert.Contains(users, warning);
    }

    [Fact]
    public void A_shared_option_the_strategy_reads_gives_no_warning()
    {
        using var dir = new TempDir();
        var r = Train(dir, "--strategy", "eslm", "--alpha", "0.3");
        Assert.True(r.Code == 0, r.Err);
        Assert.DoesNotContain("warning", r.Err);
    }

    [Fact]
    public void A_strategy_name_is_case_insensitive_like_every_choice_value()
    {
        using var dir = new TempDir();
        var r = Train(dir, "--strategy", "ESLM", "--alpha", "0.3");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("\"strategy\": \"eslm\"", File.ReadAllText(Path.Combine(dir["run"], "run.json")));
    }
}
