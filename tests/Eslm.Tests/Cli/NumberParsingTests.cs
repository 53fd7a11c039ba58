using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Eslm.Tests.Checkpoints;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>
/// Numbers on the command line are read with the invariant culture and no group separators, and nothing printed depends on
/// the locale (issue 21, defect 1; docs/cli-rules.md "Numbers").
/// </summary>
public class NumberParsingTests
{
    [Theory]
    [InlineData("train", "--lr", "0,001")]
    [InlineData("train", "--steps", "1,000")]
    [InlineData("sample", "--temperature", "0,5")]
    [InlineData("sample", "--seed", "1,337")]
    [InlineData("eval", "--max-tokens", "1.000")]
    public void A_decimal_comma_or_a_group_separator_is_an_error_naming_the_option(string command, string flag, string value)
    {
        using var dir = new TempDir();
        var r = CliHarness.Run(Args(command, dir, flag, value));
        CliHarness.AssertOneLineError(r, 2, flag, $"'{value}'");
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Theory]
    [InlineData("--lr", "inf", "not a finite number")]
    [InlineData("--lr", "NaN", "not a finite number")]
    [InlineData("--lr", "-Infinity", "not a finite number")]
    [InlineData("--lr", "1e40", "not a finite number")] // beyond float: would be +inf
    [InlineData("--lr", "fast", "is not a number")]
    [InlineData("--steps", "99999999999", "out of range")]
    [InlineData("--steps", "3.5", "is not an integer")]
    public void Infinity_nan_nonsense_and_out_of_range_values_are_one_line_errors_in_eslm_words(string flag, string value, string problem)
    {
        using var dir = new TempDir();
        var r = CliHarness.Run(Args("train", dir, flag, value));
        CliHarness.AssertOneLineError(r, 2, flag, problem);
        Assert.DoesNotContain("System.", r.Err);
        Assert.DoesNotContain("Description:", r.Err + r.Out); // no help dumped after the error
    }

    [Fact]
    public void Exponents_and_plain_decimals_are_read_with_a_decimal_point()
    {
        using var dir = new TempDir();
        string run = dir["run"];
        var r = CliHarness.Run("train", "--model", "tiny", "--data", "random:50257", "--out", run, "--steps", "1", "--batch", "1", "--seq", "16",
            "--lr", "1e-3", "--warmup", "0", "--val-batches", "0", "--threads", "1");
        Assert.True(r.Code == 0, r.Err);
        var options = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "run.json")))!["options"]!;
        Assert.InRange(options["lr"]!.GetValue<double>(), 0.001 - 1e-9, 0.001 + 1e-9); // stored as a float: not exactly 0.001
    }

    /// <summary>
    /// A comma-decimal culture made by hand: the build runs with InvariantGlobalization, where "de-DE" cannot be created,
    /// yet a host (these tests, a plug-in) may still set any culture on the thread.
    /// </summary>
    private static CultureInfo CommaCulture()
    {
        var c = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        c.NumberFormat.NumberDecimalSeparator = ",";
        c.NumberFormat.NumberGroupSeparator = ".";
        c.NumberFormat.PercentDecimalSeparator = ",";
        return c;
    }

    [Fact]
    public void Train_eval_and_their_files_print_the_same_numbers_under_a_comma_decimal_culture()
    {
        using var dir = new TempDir();
        string run = dir["run"];
        var (culture, ui) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CommaCulture();
            var train = CliHarness.Run("train", "--model", "tiny", "--data", "random:50257", "--out", run, "--steps", "2", "--batch", "1", "--seq", "16",
                "--lr", "0.001", "--warmup", "0", "--threads", "1");
            Assert.True(train.Code == 0, train.Err);
            CultureInfo.CurrentCulture = CommaCulture();
            var eval = CliHarness.Run("eval", "--checkpoint", run, "--data", "random:50257", "--max-tokens", "64", "--json", "--threads", "1");
            Assert.True(eval.Code == 0, eval.Err);
            CultureInfo.CurrentCulture = CommaCulture();
            var table = CliHarness.Run("eval", "--checkpoint", run, "--data", "random:50257", "--max-tokens", "64", "--threads", "1");
            Assert.True(table.Code == 0, table.Err);

            Assert.Matches(@"loss \d+\.\d{4}", train.Err);
            Assert.Matches(@"loss \d+\.\d{4}, perplexity \d+\.\d{2}", table.Out);
            foreach (var text in new[] { train.Out, train.Err, eval.Out, table.Out, table.Err,
                                         File.ReadAllText(Path.Combine(run, "run.json")), File.ReadAllText(Path.Combine(run, "metrics.jsonl")) })
                Assert.DoesNotMatch(new Regex(@"\d,\d{1,2}(?!\d)"), text); // "10,88" or "0,5": a decimal comma
            Assert.InRange(JsonNode.Parse(eval.Out)!["datasets"]![0]!["loss"]!.GetValue<double>(), 1, 20);
        }
        finally { (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (culture, ui); }
    }

    private static string[] Args(string command, TempDir dir, string flag, string value) => command switch
    {
        "train" => ["train", "--model", "tiny", "--data", "random:50257", "--out", dir["run"], flag, value],
        "sample" => ["sample", "--checkpoint", dir["none"], "--prompt-ids", "1", flag, value],
        _ => ["eval", "--checkpoint", dir["none"], "--data", "random:50", flag, value],
    };
}
