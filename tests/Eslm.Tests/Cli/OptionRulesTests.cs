using System.Text.Json.Nodes;
using Eslm.Tests.Checkpoints;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>Rules every option follows (issue 21): the last of a repeated option wins, choices ignore case, parse errors are one line.</summary>
public class OptionRulesTests
{
    private static string[] TinyTrain(string run, params string[] more) =>
        ["train", "--model", "tiny", "--data", "random:50257", "--out", run, "--batch", "1", "--seq", "16", "--warmup", "0", "--val-batches", "0", "--threads", "1", .. more];

    [Fact]
    public void A_repeated_option_takes_its_last_value()
    {
        using var dir = new TempDir();
        var r = CliHarness.Run(TinyTrain(dir["run"], "--steps", "3", "--steps", "1", "--lr", "0.5", "--lr=0.002"));
        Assert.True(r.Code == 0, r.Err);
        var options = JsonNode.Parse(File.ReadAllText(Path.Combine(dir["run"], "run.json")))!["options"]!;
        Assert.Equal(1, options["steps"]!.GetValue<int>());
        Assert.InRange(options["lr"]!.GetValue<double>(), 0.002 - 1e-9, 0.002 + 1e-9);
        Assert.Single(Directory.GetDirectories(dir["run"], "step-*"));
    }

    [Fact]
    public void Strategy_names_ignore_case_like_model_presets()
    {
        using var dir = new TempDir();
        var r = CliHarness.Run(TinyTrain(dir["run"], "--steps", "1", "--strategy", "ESLM", "--model", "TINY"));
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("strategy eslm", r.Err);
        var selection = JsonNode.Parse(File.ReadAllText(Path.Combine(dir["run"], "run.json")))!["options"]!["selection"]!;
        Assert.Equal("eslm", selection["strategy"]!.GetValue<string>());
    }

    [Fact]
    public void Free_text_choices_of_a_strategy_ignore_case_too()
    {
        using var dir = new TempDir();
        var r = CliHarness.Run(TinyTrain(dir["run"], "--steps", "1", "--strategy", "ada-eslm", "--ada-schedule", "COSINE"));
        Assert.True(r.Code == 0, r.Err);
        var selection = JsonNode.Parse(File.ReadAllText(Path.Combine(dir["run"], "run.json")))!["options"]!["selection"]!;
        Assert.Equal("cosine", selection["ada_schedule"]!.GetValue<string>());
    }

    [Fact]
    public void An_unknown_strategy_still_lists_the_known_ones()
    {
        using var dir = new TempDir();
        CliHarness.AssertOneLineError(CliHarness.Run(TinyTrain(dir["run"], "--strategy", "Magic")), 2, "unknown strategy 'Magic'", "eslm");
    }

    [Fact]
    public void Declared_choices_ignore_case_and_a_wrong_one_is_one_line_listing_them()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["a.txt"], "First document. It has words.\n\nSecond document here.\n\nThird one.\n");
        var ok = CliHarness.Run("prepare", dir["a.txt"], "--out", dir["data"], "--split-docs", "BLANK-LINE", "--invalid-utf8=Replace", "--val-docs", "1", "--threads", "1");
        Assert.True(ok.Code == 0, ok.Err);
        var bad = CliHarness.Run("prepare", dir["a.txt"], "--out", dir["data2"], "--split-docs", "paragraph");
        CliHarness.AssertOneLineError(bad, 2, "--split-docs must be one of", "blank-line", "'paragraph'");
        Assert.False(Directory.Exists(dir["data2"]));
    }

    [Fact]
    public void A_parse_error_is_one_line_that_points_to_help_without_printing_it()
    {
        var r = CliHarness.Run("bench", "--model", "tiny", "--colour", "blue");
        CliHarness.AssertOneLineError(r, 2, "--colour", "eslm bench --help");
        Assert.Single(r.Err.TrimEnd('\n').Split('\n'));
        Assert.Equal("", r.Out);
    }

    [Fact]
    public void Help_still_works_and_exits_0()
    {
        var r = CliHarness.Run("sample", "--help");
        Assert.Equal(0, r.Code);
        Assert.Contains("--stop-token", r.Out);
    }
}
