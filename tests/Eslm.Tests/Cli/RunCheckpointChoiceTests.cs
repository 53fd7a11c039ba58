using System.Text.Json.Nodes;
using Eslm.Checkpoints;
using Eslm.Cli;
using Eslm.Tests.Checkpoints;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>eval and sample on a run folder say which checkpoint step they use, and which damaged newer one they skipped.</summary>
public class RunCheckpointChoiceTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliHarness.Run(args);

    private static string RunWithDamagedLatest(TempDir dir)
    {
        using var model = TestFiles.RandomModel();
        Checkpoint.SaveStep(dir["run"], 3, model, null, null, new JsonObject { ["step"] = 3 });
        string latest = Checkpoint.SaveStep(dir["run"], 5, model, null, null, new JsonObject { ["step"] = 5 });
        string weights = Directory.GetFiles(latest, "*.safetensors")[0];
        File.WriteAllBytes(weights, File.ReadAllBytes(weights)[..^8]);
        return dir["run"];
    }

    [Theory]
    [InlineData("sample")]
    [InlineData("eval")]
    public void A_run_folder_load_names_the_step_and_the_skipped_damaged_checkpoint(string command)
    {
        using var dir = new TempDir();
        string run = RunWithDamagedLatest(dir);
        var r = command == "sample"
            ? Run("sample", "--checkpoint", run, "--prompt-ids", "1 2", "--max-new-tokens", "2", "--threads", "1")
            : Run("eval", "--checkpoint", run, "--data", "random:50", "--threads", "1");
        Assert.Equal(0, r.Code);
        Assert.Contains("using checkpoint step-00000003 (step 3)", r.Err);
        Assert.Contains("step-00000005: damaged checkpoint", r.Err);
        Assert.Contains("skipped", r.Err);
    }
}
