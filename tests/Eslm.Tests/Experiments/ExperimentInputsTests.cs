using Eslm.Tests.Checkpoints;
using Eslm.Tests.Cli;
using Xunit;

namespace Eslm.Tests.Experiments;

/// <summary>Every input an experiment names is checked before the first arm trains (issue 13, item 14).</summary>
public class ExperimentInputsTests
{
    private static string Spec(TempDir dir, string extra)
    {
        File.WriteAllText(dir["exp.json"], $$"""
            {"name": "x", "model": "tiny", "train": {"batch": 1, "seq": 8, "warmup": 0}, "data": "random:50257", "budget": {"steps": 1},
             "arms": [{"strategy": "clm"}], "val_batches": 0, {{extra}}}
            """);
        return dir["exp.json"];
    }

    [Theory]
    [InlineData("\"eval\": [{\"name\": \"gone\", \"data\": \"$DIR/missing-dataset\"}]", "missing-dataset")]
    [InlineData("\"tasks\": [{\"task\": \"cloze\", \"file\": \"$DIR/missing.jsonl\"}]", "missing.jsonl")]
    [InlineData("\"val_data\": \"$DIR/missing-val\"", "missing-val")]
    [InlineData("\"eval_max_tokens\": 0, \"arms\": [{\"strategy\": \"rho1\", \"reference_losses\": \"$DIR/missing.bin\"}]", "missing.bin")]
    public void A_missing_input_fails_before_any_arm_trains(string extra, string missing)
    {
        using var dir = new TempDir();
        string spec = Spec(dir, extra.Replace("$DIR", dir.Path).Replace("\"arms\": [{\"strategy\": \"clm\"}], ", ""));
        if (extra.Contains("\"arms\"")) File.WriteAllText(spec, File.ReadAllText(spec).Replace("\"arms\": [{\"strategy\": \"clm\"}], ", ""));
        var r = CliHarness.Run("experiment", "run", spec, "--out", dir["out"], "--threads", "1");
        CliHarness.AssertOneLineError(r, 1, missing);
        Assert.False(Directory.Exists(dir["out"]) && Directory.GetDirectories(dir["out"]).Length > 0);
    }

    [Theory]
    [InlineData("\"models\": [{\"preset\": \"tiny\", \"vocab\": 10}], \"data\": \"$DATA\"", "$DATA")]
    [InlineData("\"model\": {\"preset\": \"tiny\", \"vocab\": 10}, \"data\": \"random:10\", \"eval\": [{\"name\": \"e\", \"data\": \"$DATA\"}]", "$DATA")]
    [InlineData("\"model\": {\"preset\": \"tiny\", \"vocab\": 10}, \"data\": \"random:50257\"", "random:50257")]
    public void A_model_whose_vocabulary_the_data_exceed_fails_before_anything_is_made(string modelAndData, string named)
    {
        using var dir = new TempDir();
        var prepared = CliHarness.Run("prepare", "--recipe", "builtin-noisy", "--out", dir["data"], "--threads", "1");
        Assert.True(prepared.Code == 0, prepared.Err);
        File.WriteAllText(dir["exp.json"], $$"""
            {"name": "x", "train": {"batch": 1, "seq": 8, "warmup": 0}, "budget": {"steps": 1}, "arms": [{"strategy": "clm"}],
             "val_batches": 0, {{modelAndData.Replace("$DATA", dir["data"])}}}
            """);
        var r = CliHarness.Run("experiment", "run", dir["exp.json"], "--out", dir["out"], "--threads", "1");
        CliHarness.AssertOneLineError(r, 1, named.Replace("$DATA", dir["data"]));
        Assert.Contains("vocabulary of 10", r.Err);
        Assert.False(Directory.Exists(dir["out"]));
    }

    [Theory]
    [InlineData("-1", "--seed: '-1' is out of range (an integer from 0 to")]
    [InlineData("1.5", "--seed: '1.5' is not an integer")]
    public void A_bad_seed_filter_is_eslms_one_line_error(string seed, string message)
    {
        using var dir = new TempDir();
        var r = CliHarness.Run("experiment", "run", Spec(dir, "\"eval_max_tokens\": 0"), "--seed", "1", "--seed", seed);
        CliHarness.AssertOneLineError(r, 2, message);
        Assert.DoesNotContain("System.UInt64", r.Err);
    }
}
