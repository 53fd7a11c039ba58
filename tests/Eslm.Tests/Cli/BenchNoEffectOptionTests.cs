using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>
/// `bench` refuses an option its measurement cannot use (docs/cli-rules.md, "Options"): each used to be dropped without a
/// word, exit 0 (--gemm timed the GEMMs alone whatever step options came with it; --baseline beside clm timed nothing more).
/// </summary>
public class BenchNoEffectOptionTests
{
    private static (int Code, string Out, string Err) Bench(params string[] more) => CliHarness.Run(
        ["bench", "--model", "tiny", "--layers", "1", "--channels", "16", "--heads", "2", "--vocab", "64", "--batch", "1", "--seq", "8",
         "--steps", "1", "--warmup", "0", "--threads", "1", .. more]);

    [Theory]
    [InlineData("--profile")]
    [InlineData("--baseline")]
    [InlineData("--baseline-precision", "fp32")]
    [InlineData("--strategy", "eslm")]
    [InlineData("--alpha", "0.5")]
    [InlineData("--backward", "exact")]
    [InlineData("--precision", "fp32")]
    public void Gemm_refuses_an_option_of_a_training_step(string option, string? value = null)
    {
        var r = CliHarness.Run(value is null ? ["bench", "--gemm", option] : ["bench", "--gemm", option, value]);
        CliHarness.AssertOneLineError(r, 2, $"{option} has no effect with --gemm");
        Assert.Equal("", r.Out);
    }

    [Fact]
    public void Gemm_refuses_steps_and_warmup_given_explicitly()
    {
        CliHarness.AssertOneLineError(CliHarness.Run("bench", "--gemm", "--steps", "3"), 2, "--steps has no effect with --gemm");
        CliHarness.AssertOneLineError(CliHarness.Run("bench", "--gemm", "--warmup", "1"), 2, "--warmup has no effect with --gemm");
    }

    [Fact]
    public void Baseline_precision_without_baseline_is_refused()
    {
        var r = Bench("--strategy", "eslm", "--baseline-precision", "fp32");
        CliHarness.AssertOneLineError(r, 2, "--baseline-precision has no effect without --baseline");
        Assert.Equal("", r.Out);
    }

    [Fact]
    public void A_clm_baseline_beside_clm_at_the_same_precision_is_refused()
    {
        var r = Bench("--baseline");
        CliHarness.AssertOneLineError(r, 2, "--baseline has no effect with --strategy clm", "--baseline-precision");
        Assert.Equal("", r.Out);
    }

    [Fact]
    public void Backward_away_from_its_default_under_clm_is_warned_about_as_train_does()
    {
        var r = Bench("--backward", "exact");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("eslm: warning: --strategy clm keeps every token, so --backward exact changes nothing; it is ignored", r.Err);
    }
}
