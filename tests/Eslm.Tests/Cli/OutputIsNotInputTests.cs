using System.Text.Json.Nodes;
using Eslm.Checkpoints;
using Eslm.Tests.Checkpoints;
using Eslm.Tests.Data;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>
/// A command never writes over what it reads, --force (or --overwrite) or not: an output that is, holds or lies inside
/// an input is refused in one line before any work, spelled directly or through a symbolic link (docs/cli-rules.md).
/// </summary>
public class OutputIsNotInputTests : DataTestBase
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliHarness.Run(args);

    /// <summary>A run folder as `train` leaves it: metrics.jsonl, run.json and one complete checkpoint step-00000003.</summary>
    private string RunFolder(string name)
    {
        string run = Path.Combine(Dir, name);
        using (var model = TestFiles.RandomModel()) Checkpoint.Save(Path.Combine(run, "step-00000003"), model, null, null, new JsonObject { ["step"] = 3 });
        File.WriteAllText(Path.Combine(run, "metrics.jsonl"), "{}\n");
        File.WriteAllText(Path.Combine(run, "run.json"), """{"model": {}, "options": {"precision": "fp32"}}""");
        return run;
    }

    /// <summary>Every file under <paramref name="dir"/> with its bytes, to show a refused command touched nothing.</summary>
    private static Dictionary<string, string> Snapshot(string dir) =>
        Directory.GetFiles(dir, "*", SearchOption.AllDirectories).ToDictionary(f => f, f => Convert.ToHexString(File.ReadAllBytes(f)));

    private static void AssertRefused((int Code, string Out, string Err) r, string output, string problem) =>
        CliHarness.AssertOneLineError(r, 2, output, problem, "choose another output");

    [Fact]
    public void Convert_refuses_to_replace_the_run_folder_holding_its_input_checkpoint()
    {
        string run = RunFolder("r1e"), before = string.Join(",", Snapshot(run).Keys);
        AssertRefused(Run("convert", Path.Combine(run, "step-00000003"), run, "--force"), run, "holds the input");
        Assert.Equal(before, string.Join(",", Snapshot(run).Keys));
    }

    [Fact]
    public void Convert_refuses_to_write_into_the_checkpoint_it_reads()
    {
        string run = RunFolder("r1b");
        var before = Snapshot(run);
        string weights = Path.Combine(run, "step-00000003", "model.safetensors");
        AssertRefused(Run("convert", run, weights, "--to", "llmc", "--force"), weights, "lies inside the input");
        Assert.Equal(before, Snapshot(run));
    }

    [Fact]
    public void Convert_sees_through_a_symbolic_link_to_its_input()
    {
        string run = RunFolder("r1s");
        var before = Snapshot(run);
        string link = Path.Combine(Dir, "link.bin"), linkedRun = Path.Combine(Dir, "run-link");
        File.CreateSymbolicLink(link, Path.Combine(run, "step-00000003", "model.safetensors"));
        Directory.CreateSymbolicLink(linkedRun, run);
        AssertRefused(Run("convert", run, link, "--force"), link, "lies inside the input");
        AssertRefused(Run("convert", linkedRun, run, "--force"), run, "holds the input");
        Assert.Equal(before, Snapshot(run));
    }

    [Fact]
    public void Convert_may_still_write_a_new_file_beside_the_checkpoint_in_the_run_folder()
    {
        string run = RunFolder("r1x");
        Assert.Equal(0, Run("convert", run, Path.Combine(run, "export.bin")).Code);
    }

    [Fact]
    public void Score_refuses_to_overwrite_a_shard_of_the_split_it_scores()
    {
        string data = Path.Combine(Dir, "ds");
        Prepare(data, [JsonlCorpus()]);
        string shard = Directory.GetFiles(data, "val_*.bin")[0];
        var before = Snapshot(data);
        var r = Run("score", "--reference", RunFolder("ref"), "--data", data, "--split", "val", "--seq", "16", "--out", shard, "--overwrite");
        AssertRefused(r, shard, "is the input");
        Assert.Equal(before, Snapshot(data));
    }

    [Fact]
    public void Show_selection_refuses_to_overwrite_its_input_text()
    {
        string text = Write("h2.txt", "Once upon a time there was a small model.");
        AssertRefused(Run("show-selection", "--checkpoint", "preset:tiny", "--text", text, "--out", text, "--force", "--strategy", "eslm"), text, "is the input");
        Assert.Equal("Once upon a time there was a small model.", File.ReadAllText(text));
    }

    [Fact]
    public void Prepare_overwrite_refuses_a_dataset_folder_that_holds_an_input()
    {
        string data = Path.Combine(Dir, "ds");
        Prepare(data, [JsonlCorpus()]);
        string input = Path.Combine(data, "more.jsonl");
        File.Copy(Path.Combine(Dir, "corpus.jsonl"), input);
        var r = Run("prepare", input, "--out", data, "--overwrite");
        CliHarness.AssertOneLineError(r, 2, data, "holds the input");
        Assert.True(File.Exists(input));
    }

    [Fact]
    public void Train_overwrite_refuses_to_remove_the_checkpoint_it_starts_from()
    {
        string run = RunFolder("r2"), data = Path.Combine(Dir, "ds");
        Prepare(data, [JsonlCorpus()]);
        var before = Snapshot(run);
        var r = Run("train", "--data", data, "--out", run, "--overwrite", "--init-from", Path.Combine(run, "step-00000003"), "--steps", "1", "--batch", "1", "--seq", "8");
        CliHarness.AssertOneLineError(r, 2, run, "--overwrite would remove", "--init-from");
        Assert.Equal(before, Snapshot(run));
    }

    /// <summary>A one-step experiment file (with a comment, which a rewrite would lose) at <paramref name="path"/>, reading <paramref name="data"/>.</summary>
    private static string ExperimentFile(string path, string data, string extra = "")
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, $$"""
            {"name": "x", // the user's note
             "model": "tiny", "train": {"batch": 1, "seq": 8, "warmup": 0}, "data": "{{data}}", "budget": {"steps": 1},
             "arms": [{"strategy": "clm"}], "val_batches": 0 {{extra}}}
            """);
        return path;
    }

    [Fact]
    public void Experiment_run_refuses_a_folder_holding_the_experiment_file_it_reads()
    {
        string exp = Path.Combine(Dir, "exp"), spec = ExperimentFile(Path.Combine(exp, "experiment.json"), "random:50257");
        string before = File.ReadAllText(spec);
        AssertRefused(Run("experiment", "run", spec, "--out", exp, "--threads", "1"), exp, "holds the input");
        Assert.Equal(before, File.ReadAllText(spec));
        Assert.Equal([spec], Directory.GetFileSystemEntries(exp));
    }

    [Fact]
    public void Experiment_run_refuses_a_dataset_folder_or_a_folder_holding_a_task_file_as_its_output()
    {
        string data = Path.Combine(Dir, "ds");
        Prepare(data, [JsonlCorpus()]);
        var before = Snapshot(data);
        AssertRefused(Run("experiment", "run", ExperimentFile(Path.Combine(Dir, "a.json"), data), "--out", data, "--threads", "1"), data, "is the input");
        Assert.Equal(before, Snapshot(data));
        string tasks = Path.Combine(Dir, "tasks"), cloze = Path.Combine(tasks, "t-cloze.jsonl");
        Directory.CreateDirectory(tasks);
        File.WriteAllText(cloze, "{\"context\": \"a b\", \"target\": \" c\"}\n");
        string spec = ExperimentFile(Path.Combine(Dir, "b.json"), "random:50257", $", \"tasks\": [{{\"task\": \"cloze\", \"file\": \"{cloze}\"}}]");
        CliHarness.AssertOneLineError(Run("experiment", "run", spec, "--out", tasks, "--threads", "1"), 2, tasks, "holds the input " + cloze, "choose another output");
        Assert.Equal([cloze], Directory.GetFileSystemEntries(tasks));
    }
}
