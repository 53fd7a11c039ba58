using System.Text.Json.Nodes;
using Eslm.Tests.Checkpoints;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>`train --resume` continues the recorded run; changes need --allow-changes and are recorded (issue 13, item 16).</summary>
public class ResumeDefaultsTests
{
    private static readonly string[] First =
        ["train", "--model", "tiny", "--data", "random:50257", "--batch", "2", "--seq", "16", "--steps", "2", "--warmup", "0", "--lr", "0.003",
         "--strategy", "eslm", "--alpha", "0.3", "--val-batches", "0", "--threads", "1"];

    private static JsonObject Options(string run) => (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(run, "run.json")))!["options"]!;

    [Fact]
    public void Resume_with_only_the_folder_takes_every_option_from_run_json()
    {
        using var dir = new TempDir();
        Assert.Equal(0, CliHarness.Run([.. First, "--out", dir["run"]]).Code);
        string before = Options(dir["run"]).ToJsonString();
        var r = CliHarness.Run("train", "--resume", "--out", dir["run"], "--threads", "1");
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(before, Options(dir["run"]).ToJsonString());
        Assert.Null(JsonNode.Parse(File.ReadAllText(Path.Combine(dir["run"], "run.json")))!["changes"]);
    }

    [Fact]
    public void Resume_with_a_changed_hyperparameter_is_refused_naming_the_option()
    {
        using var dir = new TempDir();
        Assert.Equal(0, CliHarness.Run([.. First, "--out", dir["run"]]).Code);
        var r = CliHarness.Run("train", "--resume", "--out", dir["run"], "--lr", "0.001", "--alpha", "0.3", "--threads", "1");
        CliHarness.AssertOneLineError(r, 2, "run.json", "--lr 0.003 → 0.001", "--allow-changes");
        Assert.DoesNotContain("--alpha", r.Err); // given again with the recorded value: no change
    }

    [Fact]
    public void Resume_with_allow_changes_continues_and_records_the_change_with_its_step()
    {
        using var dir = new TempDir();
        Assert.Equal(0, CliHarness.Run([.. First, "--out", dir["run"]]).Code);
        var r = CliHarness.Run("train", "--resume", "--allow-changes", "--out", dir["run"], "--steps", "3", "--threads", "1");
        Assert.True(r.Code == 0, r.Err);
        var changes = JsonNode.Parse(File.ReadAllText(Path.Combine(dir["run"], "run.json")))!["changes"]!.AsArray();
        var change = Assert.Single(changes)!;
        Assert.Equal(2, (int)change["step"]!);
        Assert.Equal("--steps", (string)change["option"]!);
        Assert.Equal("2", (string)change["from"]!);
        Assert.Equal("3", (string)change["to"]!);
        Assert.Equal(3, (int)Options(dir["run"])["steps"]!);
        Assert.Equal(0.3, (double)Options(dir["run"])["selection"]!["alpha"]!);
    }

    /// <summary>Issue 21 defect 4: a resume used to drop --checkpoint-every, --keep-last, --val-every and --threads.</summary>
    [Fact]
    public void Resume_keeps_every_recorded_option_including_checkpointing_validation_and_threads()
    {
        using var dir = new TempDir();
        string[] first = [.. First, "--val-every", "1", "--checkpoint-every", "1", "--keep-last", "5", "--sampling", "sequential"];
        first[Array.IndexOf(first, "--val-batches") + 1] = "1";
        Assert.True(CliHarness.Run([.. first, "--out", dir["run"]]).Code == 0);
        var recorded = Options(dir["run"]);
        foreach (var option in Eslm.Training.TrainOptionsBinding.All)
            Assert.True(recorded.ContainsKey(option.Key), $"run.json lacks '{option.Key}'");
        var r = CliHarness.Run("train", "--resume", "--allow-changes", "--out", dir["run"], "--steps", "4");
        Assert.True(r.Code == 0, r.Err);
        // every step checkpointed and kept (the default would be: only the end, keep 2), every step validated
        Assert.Equal(["step-00000001", "step-00000002", "step-00000003", "step-00000004"],
            Directory.GetDirectories(dir["run"], "step-*").Select(Path.GetFileName).Order());
        var lines = File.ReadLines(Path.Combine(dir["run"], "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal([1, 2, 3, 4], lines.Where(l => (string?)l["type"] == "val").Select(l => (int)l["step"]!));
        var after = Options(dir["run"]);
        foreach (var key in new[] { "threads", "sampling", "val_batches", "keep_last", "checkpoint_every", "val_every" })
            Assert.True(JsonNode.DeepEquals(recorded[key], after[key]), key);
        var change = Assert.Single(JsonNode.Parse(File.ReadAllText(Path.Combine(dir["run"], "run.json")))!["changes"]!.AsArray())!;
        Assert.Equal("--steps", (string)change["option"]!);
    }

    [Fact]
    public void Resume_records_a_changed_run_level_option_as_a_change()
    {
        using var dir = new TempDir();
        Assert.Equal(0, CliHarness.Run([.. First, "--out", dir["run"]]).Code);
        var r = CliHarness.Run("train", "--resume", "--out", dir["run"], "--checkpoint-every", "1", "--steps", "3");
        CliHarness.AssertOneLineError(r, 2, "--checkpoint-every 0 → 1", "--steps 2 → 3");
    }

    [Fact]
    public void A_run_started_from_other_weights_records_them_and_resumes_without_them()
    {
        using var dir = new TempDir();
        Assert.Equal(0, CliHarness.Run([.. First, "--out", dir["a"]]).Code);
        Assert.Equal(0, CliHarness.Run([.. First, "--init-from", dir["a"], "--out", dir["b"]]).Code);
        Assert.Equal(Path.GetFullPath(dir["a"]), Path.GetFullPath((string)Options(dir["b"])["init_from"]!));
        Directory.Move(dir["a"], dir["a-moved"]); // the weights it started from are gone: the checkpoint holds the run's own
        var r = CliHarness.Run("train", "--resume", "--allow-changes", "--out", dir["b"], "--steps", "3");
        Assert.True(r.Code == 0, r.Err);
    }

    [Fact]
    public void Resume_with_other_init_weights_is_refused_and_the_same_ones_are_accepted()
    {
        using var dir = new TempDir();
        Assert.Equal(0, CliHarness.Run([.. First, "--out", dir["a"]]).Code);
        Assert.Equal(0, CliHarness.Run([.. First, "--out", dir["run"]]).Code);
        string before = File.ReadAllText(Path.Combine(dir["run"], "run.json"));
        // They would be ignored (the checkpoint holds the run's weights) and run.json would claim them.
        var r = CliHarness.Run("train", "--resume", "--allow-changes", "--out", dir["run"], "--init-from", dir["a"], "--steps", "3");
        CliHarness.AssertOneLineError(r, 2, "--init-from", "continues from its own checkpoint", "random weights");
        Assert.Equal(before, File.ReadAllText(Path.Combine(dir["run"], "run.json")));

        Assert.Equal(0, CliHarness.Run([.. First, "--init-from", dir["a"], "--out", dir["b"]]).Code);
        var same = CliHarness.Run("train", "--resume", "--allow-changes", "--out", dir["b"], "--init-from", dir["a"], "--steps", "3");
        Assert.True(same.Code == 0, same.Err); // the original command again, with --resume: nothing changes
    }

    [Fact]
    public void Resume_names_the_steps_a_deleted_or_cut_log_lacks()
    {
        using var dir = new TempDir();
        Assert.Equal(0, CliHarness.Run([.. First, "--out", dir["run"]]).Code);
        string log = Path.Combine(dir["run"], "metrics.jsonl");
        var trainLines = File.ReadAllLines(log).Where(l => l.Contains("\"type\":\"train\"")).ToList();
        File.WriteAllLines(log, trainLines.Take(1)); // step 0 only; the checkpoint is at step 2
        var cut = CliHarness.Run("train", "--resume", "--allow-changes", "--out", dir["run"], "--steps", "3", "--threads", "1");
        Assert.True(cut.Code == 0, cut.Err);
        Assert.Contains("lacks 1 of the 2 train steps before the checkpoint it resumes from (first missing: step 1)", cut.Err);

        File.Delete(log);
        var gone = CliHarness.Run("train", "--resume", "--allow-changes", "--out", dir["run"], "--steps", "4", "--threads", "1");
        Assert.True(gone.Code == 0, gone.Err);
        Assert.Contains("metrics.jsonl is missing: the run resumes at step 3, so its log holds no line of steps 0–2", gone.Err);
    }

    [Fact]
    public void Resume_on_a_folder_without_a_run_is_an_error_not_a_fresh_start()
    {
        using var dir = new TempDir();
        var r = CliHarness.Run([.. First, "--resume", "--out", dir["empty"]]);
        CliHarness.AssertOneLineError(r, 1, dir["empty"], "no run here");
        Assert.False(File.Exists(Path.Combine(dir["empty"], "metrics.jsonl")));
    }
}
