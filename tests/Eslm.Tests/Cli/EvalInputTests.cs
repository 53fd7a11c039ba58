using System.Text.Json.Nodes;
using Eslm.Checkpoints;
using Eslm.Tests.Checkpoints;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>
/// `eslm eval` checks every input before any work (issue 21, defect 11), and task files that hold nothing are errors, as
/// is `tasks build` that builds nothing (NaN accuracies are never results).
/// </summary>
public class EvalInputTests
{
    private static string Run(TempDir dir)
    {
        using var model = TestFiles.RandomModel();
        Checkpoint.SaveStep(dir["run"], 1, model, null, null, new JsonObject { ["step"] = 1 });
        return dir["run"];
    }

    [Fact]
    public void A_checkpoint_is_evaluated_with_the_windows_it_was_trained_on_unless_seq_says_otherwise()
    {
        using var dir = new TempDir();
        using var model = TestFiles.RandomModel();
        int context = model.Config.MaxSequenceLength;
        Checkpoint.SaveStep(dir["run"], 1, model, null, null, new JsonObject { ["step"] = 1, ["options"] = new JsonObject { ["seq"] = context / 2 } });
        var trained = CliHarness.Run("eval", "--checkpoint", dir["run"], "--data", "random:50", "--max-tokens", "64", "--json", "--threads", "1");
        Assert.True(trained.Code == 0, trained.Err);
        Assert.Equal(context / 2, JsonNode.Parse(trained.Out)!["seq"]!.GetValue<int>());
        Assert.Contains($"windows of {context / 2} tokens, as the model was trained (its context is {context}", trained.Err);

        var given = CliHarness.Run("eval", "--checkpoint", dir["run"], "--data", "random:50", "--max-tokens", "64", "--seq", $"{context}", "--json", "--threads", "1");
        Assert.Equal(context, JsonNode.Parse(given.Out)!["seq"]!.GetValue<int>());
        var preset = CliHarness.Run("eval", "--checkpoint", "preset:tiny", "--data", "random:50", "--max-tokens", "64", "--json", "--threads", "1");
        Assert.Equal(64, JsonNode.Parse(preset.Out)!["seq"]!.GetValue<int>()); // no training record: the whole context
    }

    [Fact]
    public void A_mistyped_option_after_data_is_not_swallowed_as_a_dataset()
    {
        using var dir = new TempDir();
        var r = CliHarness.Run("eval", "--checkpoint", Run(dir), "--data", "random:50", "--out", dir["x.json"], "--threads", "1");
        CliHarness.AssertOneLineError(r, 2, "--out");
        Assert.DoesNotContain("using checkpoint", r.Err); // refused before loading anything
        Assert.Equal("", r.Out);
        Assert.False(File.Exists(dir["x.json"]));
    }

    [Fact]
    public void A_missing_second_dataset_fails_before_the_first_is_evaluated()
    {
        using var dir = new TempDir();
        var r = CliHarness.Run("eval", "--checkpoint", Run(dir), "--data", "random:50", "--data", dir["missing"], "--threads", "1");
        CliHarness.AssertOneLineError(r, 1, dir["missing"]);
        Assert.Equal("", r.Out);
        Assert.DoesNotContain("using checkpoint", r.Err);
    }

    [Fact]
    public void A_bad_task_file_fails_before_any_dataset_is_evaluated()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["t.jsonl"], "{\"context\": \"a b\"}\n");
        var r = CliHarness.Run("eval", "--checkpoint", Run(dir), "--data", "random:50", "--task", "cloze", dir["t.jsonl"], "--threads", "1");
        CliHarness.AssertOneLineError(r, 1, dir["t.jsonl"], "no \"target\"");
        Assert.Equal("", r.Out);
    }

    [Theory]
    [InlineData("hellaswag")]
    [InlineData("cloze")]
    public void An_empty_task_file_is_an_error_not_a_nan_accuracy(string kind)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["empty.jsonl"], "\n");
        var r = CliHarness.Run("eval", "--checkpoint", Run(dir), "--task", kind, dir["empty.jsonl"], "--threads", "1");
        CliHarness.AssertOneLineError(r, 1, dir["empty.jsonl"], "no task items");
        Assert.DoesNotContain("NaN", r.Out);
    }

    [Fact]
    public void Task_kinds_ignore_case()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["t.jsonl"], "{\"ctx\": \"A\", \"endings\": [\"b\", \"c\"], \"label\": 0}\n");
        var r = CliHarness.Run("eval", "--checkpoint", "preset:tiny", "--task", "HellaSwag", dir["t.jsonl"], "--json", "--threads", "1");
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(1, JsonNode.Parse(r.Out)!["tasks"]![0]!["items"]!.GetValue<int>());
    }

    [Fact]
    public void Tasks_build_that_builds_nothing_is_an_error_and_writes_nothing()
    {
        using var dir = new TempDir();
        // One-word documents: no sentence pairs for next-sentence items, no repeated last word for cloze items.
        File.WriteAllText(dir["a.txt"], string.Join("\n\n", Enumerable.Range(0, 12).Select(i => $"word{i}")));
        var prepared = CliHarness.Run("prepare", dir["a.txt"], "--out", dir["data"], "--split-docs", "blank-line", "--val-docs", "6", "--threads", "1");
        Assert.True(prepared.Code == 0, prepared.Err);
        var r = CliHarness.Run("tasks", "build", "--data", dir["data"], "--out", dir["tasks"]);
        CliHarness.AssertOneLineError(r, 1, dir["data"], "no task items");
        Assert.False(Directory.Exists(dir["tasks"]) && Directory.EnumerateFiles(dir["tasks"]).Any());
    }
}
