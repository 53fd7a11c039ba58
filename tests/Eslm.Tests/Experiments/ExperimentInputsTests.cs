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
        Assert.Empty(Directory.GetDirectories(dir["out"]));
    }
}
