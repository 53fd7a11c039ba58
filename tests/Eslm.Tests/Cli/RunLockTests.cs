using Eslm.IO;
using Eslm.Tests.Checkpoints;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>One process at a time writes a run folder, an experiment folder or a sidecar (issue 13, item 1).</summary>
public class RunLockTests
{
    [Fact]
    public void A_second_acquisition_of_a_locked_folder_fails_naming_the_folder_and_the_holding_pid()
    {
        using var dir = new TempDir();
        using (RunLock.AcquireFolder(dir["run"]))
        {
            var e = Assert.Throws<IOException>(() => RunLock.AcquireFolder(dir["run"]));
            Assert.Contains(dir["run"], e.Message);
            Assert.Contains($"process {Environment.ProcessId}", e.Message);
        }
        using (RunLock.AcquireFolder(dir["run"])) { } // released on dispose
    }

    [Fact]
    public void A_lock_left_by_a_dead_process_is_reported_and_taken_over()
    {
        using var dir = new TempDir();
        using var dead = System.Diagnostics.Process.Start("true")!;
        dead.WaitForExit();
        Directory.CreateDirectory(dir["run"]);
        File.WriteAllText(RunLock.FileForFolder(dir["run"]), "");
        File.WriteAllText(RunLock.FileForFolder(dir["run"]) + ".owner", $"{dead.Id}\n");
        var warnings = new List<string>();
        using (RunLock.AcquireFolder(dir["run"], warnings.Add))
        {
            Assert.Contains(warnings, w => w.Contains($"process {dead.Id}") && w.Contains("no longer running"));
            Assert.Equal($"{Environment.ProcessId}", File.ReadAllText(RunLock.FileForFolder(dir["run"]) + ".owner").Trim());
        }
        Assert.False(File.Exists(RunLock.FileForFolder(dir["run"]) + ".owner"));
    }

    [Fact]
    public void Train_on_a_folder_another_process_holds_exits_1_with_one_line_naming_folder_and_pid()
    {
        using var dir = new TempDir();
        using var held = RunLock.AcquireFolder(dir["run"]);
        var r = CliHarness.Run("train", "--model", "tiny", "--data", "random:50257", "--out", dir["run"], "--steps", "1", "--threads", "1");
        CliHarness.AssertOneLineError(r, 1, dir["run"], $"process {Environment.ProcessId}");
        Assert.False(File.Exists(Path.Combine(dir["run"], "metrics.jsonl")));
    }

    [Fact]
    public void Experiment_run_on_a_folder_another_process_holds_is_refused()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["exp.json"], """
            {"name": "x", "model": "tiny", "train": {"batch": 1, "seq": 8, "warmup": 0}, "data": "random:50257", "budget": {"steps": 1},
             "arms": [{"strategy": "clm"}], "val_batches": 0}
            """);
        using var held = RunLock.AcquireFolder(dir["out"]);
        var r = CliHarness.Run("experiment", "run", dir["exp.json"], "--out", dir["out"], "--threads", "1");
        CliHarness.AssertOneLineError(r, 1, dir["out"], $"process {Environment.ProcessId}");
        Assert.False(File.Exists(Path.Combine(dir["out"], "experiment.json")));
    }

    [Fact]
    public void Score_into_an_output_another_process_is_writing_is_refused()
    {
        using var dir = new TempDir();
        string output = dir["losses.bin"];
        using var held = RunLock.AcquireFile(output);
        var r = CliHarness.Run("score", "--reference", "preset:tiny", "--data", "random:50257", "--out", output, "--threads", "1");
        CliHarness.AssertOneLineError(r, 1, output, $"process {Environment.ProcessId}");
    }
}
