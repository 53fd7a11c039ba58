using System.Text.Json.Nodes;
using Eslm.Tests.Checkpoints;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>--config reads kebab- and snake_case keys and a run's run.json; its errors name the file and key (issue 13, item 19).</summary>
public class ConfigFileTests
{
    private static readonly string[] Train =
        ["train", "--model", "tiny", "--data", "random:50257", "--batch", "2", "--seq", "16", "--steps", "2", "--warmup", "0", "--lr", "0.003",
         "--grad-accum", "2", "--strategy", "eslm", "--alpha", "0.3", "--selection-scope", "step", "--val-batches", "0", "--threads", "1"];

    private static JsonObject RunJson(string run) => (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(run, "run.json")))!;

    [Fact]
    public void A_past_run_repeats_from_its_run_json()
    {
        using var dir = new TempDir();
        Assert.Equal(0, CliHarness.Run([.. Train, "--context", "32", "--out", dir["x"]]).Code);
        var r = CliHarness.Run("train", "--config", Path.Combine(dir["x"], "run.json"), "--out", dir["y"], "--threads", "1", "--val-batches", "0");
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(RunJson(dir["x"]).ToJsonString(), RunJson(dir["y"]).ToJsonString());
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir["x"], "step-00000002", "model.safetensors")),
            File.ReadAllBytes(Path.Combine(dir["y"], "step-00000002", "model.safetensors")));
    }

    [Fact]
    public void Snake_and_kebab_keys_and_the_nested_selection_are_accepted()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["c.json"], """
            {"model": "tiny", "data": "random:50257", "grad_accum": 2, "min-lr-fraction": 0.2, "steps": 1, "seq": 16, "batch": 1,
             "val_batches": 0, "selection": {"strategy": "eslm", "alpha": 0.4, "scope": "step", "backward": "exact"}}
            """);
        var r = CliHarness.Run("train", "--config", dir["c.json"], "--out", dir["run"], "--threads", "1");
        Assert.True(r.Code == 0, r.Err);
        var options = RunJson(dir["run"])["options"]!;
        Assert.Equal(2, (int)options["grad_accum"]!);
        Assert.Equal(0.2f, (float)options["min_lr_fraction"]!);
        Assert.Equal("step", (string)options["selection"]!["scope"]!);
        Assert.Equal("exact", (string)options["backward"]!); // a training option, also read from "selection" (where run.json kept it before)
        Assert.Equal(0.4, (double)options["selection"]!["alpha"]!);
    }

    [Fact]
    public void A_value_of_the_wrong_type_names_the_file_and_the_key()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["c.json"], """{"model": "tiny", "selection": {"alpha": "high"}}""");
        var r = CliHarness.Run("train", "--config", dir["c.json"], "--data", "random:50257", "--out", dir["run"]);
        CliHarness.AssertOneLineError(r, 2, dir["c.json"], "'selection.alpha'", "a number");
    }

    [Fact]
    public void Config_is_listed_in_every_commands_help()
    {
        Assert.Contains("--config", CliHarness.Run("train", "--help").Out);
        Assert.Contains("--config", CliHarness.Run("eval", "--help").Out);
    }
}
