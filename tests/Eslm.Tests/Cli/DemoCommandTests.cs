using Eslm.Tests.Data;
using Eslm.Tests.Model;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>
/// `eslm demo` checks every option before it prepares the datasets or trains (docs/cli-rules.md): a wrong option used to
/// be found after preparing, or after minutes of training. The demo prepares into the working directory, so these tests
/// run in a folder of their own, alone (the working directory and the thread count belong to the whole process).
/// </summary>
[Collection(SerialCollection.Name)]
public class DemoCommandTests : DataTestBase
{
    /// <summary>A demo that trains one arm for 2 steps on one thread: seconds, not the real demo's minutes.</summary>
    private const string TinySpec = """
        {"name": "dm", "model": "tiny", "data": "data/demo/noisy", "budget": {"steps": 2}, "val_every": 2, "val_batches": 1, "eval_max_tokens": 512,
         "train": {"batch": 2, "seq": 16, "steps": 2, "warmup": 1, "threads": 1},
         "eval": [{"name": "noisy", "data": "data/demo/noisy", "domain": "in"}],
         "arms": [{"name": "clm", "strategy": "clm"}]}
        """;

    /// <summary>Runs `eslm demo --experiment dm.json ARGS` in the test's folder, which holds dm.json.</summary>
    private (int Code, string Out, string Err) Demo(params string[] args)
    {
        Write("dm.json", TinySpec);
        string saved = Directory.GetCurrentDirectory();
        Directory.SetCurrentDirectory(Dir);
        try { return CliHarness.Run(["demo", "--experiment", "dm.json", .. args]); }
        finally { Directory.SetCurrentDirectory(saved); }
    }

    /// <summary>The one error line, and nothing done before it: no dataset prepared, no "demo: …" progress.</summary>
    private void AssertRefusedUpFront((int Code, string Out, string Err) r, int code, params string[] parts)
    {
        CliHarness.AssertOneLineError(r, code, parts);
        Assert.DoesNotContain("demo:", r.Err);
        Assert.False(Directory.Exists(Path.Combine(Dir, "data")), "the datasets were prepared before the error");
        Assert.False(Directory.Exists(Path.Combine(Dir, "runs")), "the experiment started before the error");
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("0")]
    public void Demo_refuses_seeds_below_one_before_preparing_the_datasets(string seeds) =>
        AssertRefusedUpFront(Demo("--out", "runs/dm", "--seeds", seeds), 2, $"--seeds must be >= 1 (got {seeds})");

    /// <summary>The hint for a missing task file is the command docs/experiments.md gives: it used to name data/builtin-clean,
    /// a folder nothing prepares.</summary>
    [Fact]
    public void A_missing_task_file_is_refused_up_front_with_the_documented_rebuild_commands()
    {
        Write("dm.json", TinySpec.Replace("\"arms\":", "\"tasks\": [{\"task\": \"cloze\", \"file\": \"assets/tasks/builtin-clean-cloze.jsonl\"}], \"arms\":"));
        string saved = Directory.GetCurrentDirectory();
        Directory.SetCurrentDirectory(Dir);
        (int, string, string) r;
        try { r = CliHarness.Run(["demo", "--experiment", "dm.json", "--out", "runs/dm"]); }
        finally { Directory.SetCurrentDirectory(saved); }
        AssertRefusedUpFront(r, 1, "assets/tasks/builtin-clean-cloze.jsonl: task file missing",
            "eslm prepare --recipe builtin-clean --val-fraction 0.15 --out data/demo/clean", "eslm tasks build --data data/demo/clean --name builtin-clean --out assets/tasks");
    }

    [Fact]
    public void Demo_refuses_negative_threads_before_preparing_the_datasets() =>
        AssertRefusedUpFront(Demo("--out", "runs/dm", "--threads", "-1"), 2, "--threads must be >= 0 (got -1)");

    [Theory]
    [InlineData("runs/dm", "is the experiment folder")]
    [InlineData("runs", "holds the experiment folder")]
    [InlineData("runs/dm/docs", "lies inside the experiment folder")]
    public void Demo_refuses_to_publish_into_or_around_its_experiment_folder_before_training(string publish, string problem) =>
        AssertRefusedUpFront(Demo("--out", "runs/dm", "--seeds", "2", "--publish", publish), 2, "--publish", publish, problem, "(--out)");

    [Fact]
    public void Demo_refuses_a_file_as_publish_folder_before_training()
    {
        string file = Write("eval.json", "{}");
        AssertRefusedUpFront(Demo("--out", "runs/dm", "--publish", file), 1, file + ": is a file, expected a folder");
    }

    [Fact]
    public void Demo_refuses_a_file_as_experiment_folder_before_training()
    {
        string file = Write("results.txt", "notes");
        AssertRefusedUpFront(Demo("--out", file), 1, file + ": is a file, expected a folder");
    }

    [Fact]
    public void Demo_refuses_an_experiment_folder_holding_its_experiment_file()
    {
        var r = Demo("--out", ".");
        AssertRefusedUpFront(r, 2, ".: holds the input dm.json");
        Assert.Equal(TinySpec, File.ReadAllText(Path.Combine(Dir, "dm.json")));
    }

    [Fact]
    public void Demo_uses_the_experiment_files_thread_count_and_publishes_the_report()
    {
        var r = Demo("--out", "runs/dm", "--publish", "pub");
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(1, Eslm.Tensors.Parallelism.Threads); // was all cores: the file's "threads" was ignored
        Assert.Equal(File.ReadAllText(Path.Combine(Dir, "runs/dm/report.md")), File.ReadAllText(Path.Combine(Dir, "pub/report.md")));
    }
}
