using System.Text.Json.Nodes;
using Eslm.Checkpoints;
using Eslm.Experiments;
using Eslm.Tests.Checkpoints;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>Options that used to be clamped or ignored silently are now errors or warnings (issue 13, item 20).</summary>
public class SilentOptionTests
{
    private static string[] Train(string outDir, params string[] extra) =>
        ["train", "--model", "tiny", "--data", "random:50257", "--out", outDir, "--batch", "1", "--seq", "8", "--steps", "1", "--warmup", "0",
         "--val-batches", "0", "--threads", "1", .. extra];

    private static string SavedModel(TempDir dir)
    {
        using var model = TestFiles.RandomModel(); // context 8
        Checkpoint.SaveStep(dir["run"], 1, model, null, null, new JsonObject { ["step"] = 1 });
        return dir["run"];
    }

    [Fact]
    public void Eval_seq_above_the_context_is_a_usage_error()
    {
        using var dir = new TempDir();
        var r = CliHarness.Run("eval", "--checkpoint", SavedModel(dir), "--data", "random:50", "--seq", "100", "--threads", "1");
        CliHarness.AssertOneLineError(r, 2, "--seq must be in [1, 8]");
    }

    [Fact]
    public void A_prompt_longer_than_the_context_warns_that_it_is_cropped()
    {
        using var dir = new TempDir();
        var r = CliHarness.Run("sample", "--checkpoint", SavedModel(dir), "--prompt-ids", "1 2 3 4 5 6 7 8 9 10", "--max-new-tokens", "1", "--threads", "1");
        Assert.Equal(0, r.Code);
        Assert.Contains("eslm: warning: the prompt has 10 tokens, more than the model's context of 8", r.Err);
    }

    [Fact]
    public void Proxy_layers_above_the_models_depth_is_a_usage_error()
    {
        using var dir = new TempDir();
        CliHarness.AssertOneLineError(CliHarness.Run(Train(dir["r"], "--strategy", "hierarchical", "--proxy-layers", "5")), 2, "--proxy-layers 5", "2 layers");
    }

    [Fact]
    public void A_model_path_for_another_strategy_is_an_error_and_another_setting_a_warning()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["ref.bin"], "x");
        CliHarness.AssertOneLineError(CliHarness.Run(Train(dir["a"], "--strategy", "eslm", "--reference", dir["ref.bin"])), 2, "--reference", "rho1");
        CliHarness.AssertOneLineError(CliHarness.Run(Train(dir["b"], "--strategy", "clm", "--teacher", dir["ref.bin"])), 2, "--teacher", "eslm-kd");
        var r = CliHarness.Run(Train(dir["c"], "--strategy", "eslm", "--kd-lambda", "0.3"));
        Assert.Equal(0, r.Code);
        Assert.Contains("eslm: warning: --kd-lambda belongs to strategy eslm-kd", r.Err);
    }

    [Fact]
    public void Reference_and_reference_losses_together_are_a_usage_error()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["ref.bin"], "x");
        CliHarness.AssertOneLineError(CliHarness.Run(Train(dir["a"], "--strategy", "rho1", "--reference", dir["ref.bin"], "--reference-losses", dir["ref.bin"])),
            2, "not both");
    }

    [Theory]
    [InlineData("--threads", "-3", "--threads must be >= 0")]
    [InlineData("--val-docs", "2", "either --val-docs or --val-fraction")]
    public void Prepare_rejects_negative_threads_and_two_val_split_options(string flag, string value, string message)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["a.txt"], "some text\n\nmore text\n\nand more\n");
        string[] args = ["prepare", dir["a.txt"], "--out", dir["ds"], flag, value];
        if (flag == "--val-docs") args = [.. args, "--val-fraction", "0.1"];
        CliHarness.AssertOneLineError(CliHarness.Run(args), 2, message);
        Assert.False(Directory.Exists(dir["ds"]));
    }

    [Theory]
    [InlineData("\"abc\"")]
    [InlineData("[1, \"two\"]")]
    [InlineData("[-1]")]
    public void Experiment_seeds_that_are_not_a_list_of_integers_are_rejected(string seeds)
    {
        var e = Assert.Throws<ArgumentException>(() => ExperimentSpec.Parse((JsonObject)JsonNode.Parse($$"""
            {"name": "t", "model": "tiny", "data": "d", "budget": {"steps": 1}, "arms": [{"strategy": "clm"}], "seeds": {{seeds}}}
            """)!));
        Assert.Contains("seeds", e.Message);
    }

    [Fact]
    public void An_experiment_arm_naming_a_model_for_another_strategy_is_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => ExperimentSpec.Parse((JsonObject)JsonNode.Parse("""
            {"name": "t", "model": "tiny", "data": "d", "budget": {"steps": 1}, "arms": [{"name": "a", "strategy": "eslm", "teacher": "t.bin"}]}
            """)!));
        Assert.Contains("\"teacher\" belongs to strategy eslm-kd", e.Message);
    }
}
