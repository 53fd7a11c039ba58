using System.Text.Json.Nodes;
using Eslm.Cli;
using Eslm.Model;
using Eslm.Tests.Checkpoints;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>
/// Where --config's values land and which win: a single value of a many-valued option, a model named on the command
/// line, the "=" form, a repeated --config, nested commands, "--" and '@' values (which are never response files).
/// </summary>
public class ConfigFileExpansionTests
{
    private static string[] Expand(params string[] args) => ConfigFile.Expand(Program.BuildRootCommand(), args);

    private static string Config(TempDir dir, string json)
    {
        File.WriteAllText(dir["c.json"], json);
        return dir["c.json"];
    }

    /// <summary>A one-step tiny run on random tokens, for its run.json.</summary>
    private static string TinyRun(TempDir dir)
    {
        var r = CliHarness.Run("train", "--model", "tiny", "--data", "random:50257", "--batch", "1", "--seq", "16", "--steps", "1", "--warmup", "0",
            "--val-batches", "0", "--threads", "1", "--out", dir["r1"]);
        Assert.True(r.Code == 0, r.Err);
        return Path.Combine(dir["r1"], "run.json");
    }

    [Fact]
    public void A_run_started_from_other_weights_is_repeated_from_its_run_json()
    {
        using var dir = new TempDir();
        TinyRun(dir);
        var b = CliHarness.Run("train", "--init-from", dir["r1"], "--data", "random:50257", "--batch", "1", "--seq", "16", "--steps", "1",
            "--warmup", "0", "--val-batches", "0", "--threads", "1", "--out", dir["b"]);
        Assert.True(b.Code == 0, b.Err);
        // Its run.json names the source as the model ("model": dir/r1), which is no preset: --init-from gives the model.
        var again = CliHarness.Run("train", "--config", Path.Combine(dir["b"], "run.json"), "--out", dir["c"]);
        Assert.True(again.Code == 0, again.Err);
        var (was, now) = (JsonNode.Parse(File.ReadAllText(Path.Combine(dir["b"], "run.json")))!, JsonNode.Parse(File.ReadAllText(Path.Combine(dir["c"], "run.json")))!);
        Assert.True(JsonNode.DeepEquals(was["model"], now["model"]));
        Assert.Equal((string?)was["options"]!["init_from"], (string?)now["options"]!["init_from"]);
    }

    [Fact]
    public void A_single_string_for_a_many_valued_option_is_a_list_of_one()
    {
        using var dir = new TempDir();
        var args = Expand("eval", "--config", Config(dir, """{"data": "clean"}"""), "--checkpoint", "r1");
        Assert.Equal(["eval", "--checkpoint", "r1", "--data", "clean"], args);
    }

    [Fact]
    public void A_list_and_a_null_for_a_many_valued_option_give_each_value_and_none()
    {
        using var dir = new TempDir();
        Assert.Equal(["eval", "--data", "a", "--data", "b"], Expand("eval", "--config", Config(dir, """{"data": ["a", "b"]}""")));
        Assert.Equal(["eval"], Expand("eval", "--config", Config(dir, """{"data": null}""")));
    }

    [Fact]
    public void A_wrong_value_in_a_many_valued_option_names_the_file_and_the_key()
    {
        using var dir = new TempDir();
        string config = Config(dir, """{"data": 3}""");
        CliHarness.AssertOneLineError(CliHarness.Run("eval", "--config", config, "--checkpoint", "preset:tiny"), 2, config, "key 'data' must be a string");
    }

    [Fact]
    public void Eval_takes_a_runs_run_json_whose_data_is_one_string()
    {
        using var dir = new TempDir();
        string runJson = TinyRun(dir);
        var args = Expand("eval", "--config", runJson, "--checkpoint", dir["r1"]);
        Assert.Equal(["--data", "random:50257"], args.SkipWhile(a => a != "--data").Take(2));
    }

    [Fact]
    public void A_model_named_on_the_command_line_wins_over_the_run_json_architecture()
    {
        using var dir = new TempDir();
        string runJson = TinyRun(dir);
        var r = CliHarness.Run("train", "--config", runJson, "--model", "d2", "--steps", "0", "--out", dir["r5"]);
        Assert.True(r.Code == 0, r.Err);
        var model = JsonNode.Parse(File.ReadAllText(Path.Combine(dir["r5"], "run.json")))!["model"]!;
        var d2 = GptConfig.FromPreset("d2");
        Assert.Equal((d2.Layers, d2.Heads, d2.Channels, d2.MaxSequenceLength),
            ((int)model["layers"]!, (int)model["heads"]!, (int)model["channels"]!, (int)model["max_sequence_length"]!));
    }

    [Fact]
    public void Init_from_on_the_command_line_drops_the_run_json_architecture_and_model_name()
    {
        using var dir = new TempDir();
        string runJson = TinyRun(dir);
        var args = Expand("train", "--config", runJson, "--init-from", "preset:d2", "--out", dir["r5"]);
        foreach (var flag in new[] { "--model", "--layers", "--heads", "--channels", "--context", "--vocab" }) Assert.DoesNotContain(flag, args);
    }

    [Fact]
    public void A_shape_option_on_the_command_line_wins_over_its_run_json_key_only()
    {
        using var dir = new TempDir();
        string runJson = TinyRun(dir);
        var args = Expand("train", "--config", runJson, "--layers", "3");
        Assert.Equal(["--layers", "3"], args.Where((a, i) => a == "--layers" || (i > 0 && args[i - 1] == "--layers")));
        Assert.Contains("--channels", args);
    }

    [Theory]
    [InlineData("--config={0}")]
    [InlineData("--config:{0}")]
    public void The_inline_forms_of_config_are_read(string form)
    {
        using var dir = new TempDir();
        var args = Expand("tasks", "build", string.Format(form, Config(dir, """{"seed": 3}""")), "--data", "d");
        Assert.Equal(["tasks", "build", "--data", "d", "--seed", "3"], args);
    }

    [Fact]
    public void A_repeated_config_is_refused()
    {
        using var dir = new TempDir();
        string config = Config(dir, """{"seed": 3}""");
        var r = CliHarness.Run("tasks", "build", "--config", config, "--config=" + config, "--data", "d");
        CliHarness.AssertOneLineError(r, 2, "--config is given twice");
    }

    [Theory]
    [InlineData("tasks build", """{"seed": 3}""", "--seed")]
    [InlineData("experiment run", """{"seed": 3}""", "--seed")]
    [InlineData("data fetch", """{"data_dir": "x"}""", "--data-dir")]
    public void Nested_commands_take_their_own_options(string command, string json, string flag)
    {
        using var dir = new TempDir();
        var args = Expand([.. command.Split(' '), "--config", Config(dir, json)]);
        Assert.Contains(flag, args);
    }

    [Fact]
    public void An_unknown_key_names_the_nested_command()
    {
        using var dir = new TempDir();
        string config = Config(dir, """{"steps": 3}""");
        CliHarness.AssertOneLineError(CliHarness.Run("tasks", "build", "--config", config), 2, config, "unknown key 'steps' for `eslm tasks build`");
    }

    [Fact]
    public void Injected_options_go_before_the_double_dash()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["h.txt"], "hello world");
        string config = Config(dir, """{"count": true}""");
        Assert.Equal(["tokenize", "--count", "--", dir["h.txt"]], Expand("tokenize", "--config", config, "--", dir["h.txt"]));
        var r = CliHarness.Run("tokenize", "--config", config, "--", dir["h.txt"]);
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal("2", r.Out.Trim());
    }

    [Fact]
    public void Config_after_the_double_dash_is_an_argument()
    {
        string[] args = ["tokenize", "--", "--config"];
        Assert.Equal(args, Expand(args));
    }

    [Fact]
    public void A_value_that_starts_with_an_at_sign_is_that_value_not_a_response_file()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["resp.txt"], "--max-new-tokens 9");
        var root = Program.BuildRootCommand();
        foreach (var prompt in new[] { "@hello", "@" + dir["resp.txt"] })
        {
            var parsed = Program.Parse(root, ["sample", "--checkpoint", "preset:tiny", "--prompt", prompt]);
            Assert.Empty(parsed.Errors);
            Assert.Equal(prompt, parsed.GetValue<string?>("--prompt"));
            Assert.Equal(64, parsed.GetValue<int>("--max-new-tokens"));
        }
        var r = CliHarness.Run("sample", "--checkpoint", "preset:tiny", "--prompt", "@hello", "--max-new-tokens", "1", "--print-ids", "--threads", "1");
        Assert.True(r.Code == 0, r.Err);
    }
}
