using Eslm.Tests.Checkpoints;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>A shared selection option given to a strategy that does not read it is warned about, never silently dropped (issue 21).</summary>
public class IgnoredSharedOptionTests
{
    private static (int Code, string Out, string Err) Train(TempDir dir, params string[] more) => CliHarness.Run(
        ["train", "--model", "tiny", "--data", "random:50257", "--out", dir["run"], "--steps", "1", "--batch", "1", "--seq", "16",
         "--warmup", "0", "--val-batches", "0", "--threads", "1", .. more]);

    [Theory]
    [InlineData("clm", "--alpha", "0.9")]
    [InlineData("clm", "--score", "entropy")]
    [InlineData("eslm", "--keep", "0.3")]
    [InlineData("rho1", "--alpha", "0.2")]
    [InlineData("eslm", "--selection-seed", "7")]
    public void A_shared_option_the_strategy_does_not_read_is_warned_about(string strategy, string flag, string value)
    {
        using var dir = new TempDir();
        string[] extra = strategy == "rho1" ? ["--reference", "preset:tiny"] : [];
        var r = Train(dir, ["--strategy", strategy, flag, value, .. extra]);
        Assert.True(r.Code == 0, r.Err);
        string warning = $"eslm: warning: --strategy {strategy} does not use {flag} (used by ";
        Assert.Single(r.Err.Split('\n'), line => line.StartsWith(warning, StringComparison.Ordinal)); // once, not once per checker
    }

    [Theory]
    [InlineData("eslm", "--alpha", "0.9")]
    [InlineData("random", "--keep", "0.3")]
    public void A_shared_option_the_strategy_reads_gets_no_warning(string strategy, string flag, string value)
    {
        using var dir = new TempDir();
        var r = Train(dir, "--strategy", strategy, flag, value);
        Assert.True(r.Code == 0, r.Err);
        Assert.DoesNotContain("warning", r.Err);
    }
}
