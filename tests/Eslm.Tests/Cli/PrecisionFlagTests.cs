using System.Text.Json.Nodes;
using Eslm.Experiments;
using Eslm.Native;
using Eslm.Tensors;
using Eslm.Tests.Reference;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>Issue 15: --precision on eval and experiment arms, and bf16 recorded in the metrics lines.</summary>
[Collection(Eslm.Tests.Model.SerialCollection.Name)]
public class PrecisionFlagTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("eslm-precision-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private static ExperimentSpec Spec(string armTrain) => ExperimentSpec.Parse((JsonObject)JsonNode.Parse($$"""
        {"name": "p", "model": "tiny", "train": {"batch": 2, "seq": 16, "steps": 2}, "data": "d", "budget": {"steps": 2},
         "arms": [{"name": "clm", "strategy": "clm"}, {"name": "half", "strategy": "clm", "train": {{armTrain}} }]}
        """)!);

    [Fact]
    public void Experiment_arms_take_a_precision_shown_in_their_label_and_nonsense_is_refused()
    {
        var spec = Spec("""{"precision": "bf16"}""");
        Assert.Equal(Precision.Fp32, spec.Arms[0].Train.Precision);
        Assert.Equal(Precision.Bf16, spec.Arms[1].Train.Precision);
        Assert.Equal("clm", spec.Arms[0].DescribeWithPrecision());
        Assert.EndsWith(", bf16", spec.Arms[1].DescribeWithPrecision());
        var e = Assert.ThrowsAny<ArgumentException>(() => Spec("""{"precision": "fp16"}"""));
        Assert.Contains("fp32 or bf16", e.Message);
    }

    [SkippableFact]
    public void Eval_in_bf16_says_so_and_stays_close_to_fp32()
    {
        Blas.Ensure();
        Skip.If(OneDnn.Bf16Unavailable is not null, OneDnn.Bf16Unavailable);
        string items = Path.Combine(_dir, "cloze.jsonl");
        File.WriteAllLines(items, new[] { ("Once upon a", " time"), ("The cat sat on the", " mat"), ("He opened the", " door"), ("She drank a cup of", " tea") }
            .Select(x => new JsonObject { ["context"] = x.Item1, ["target"] = x.Item2 }.ToJsonString()));
        JsonNode Eval(string precision)
        {
            var r = CliHarness.Run("eval", "--checkpoint", "preset:tiny", "--task", "cloze", items, "--json", "--threads", "1", "--precision", precision);
            Assert.True(r.Code == 0, r.Err);
            return JsonNode.Parse(r.Out)!;
        }
        var fp32 = Eval("fp32");
        var bf16 = Eval("bf16");
        Assert.Equal("fp32", (string?)fp32["precision"]);
        Assert.Equal("bf16", (string?)bf16["precision"]);
        double a = (double)fp32["tasks"]![0]!["target_logprob"]!, b = (double)bf16["tasks"]![0]!["target_logprob"]!;
        Assert.True(Math.Abs(a - b) <= 0.02 * Math.Abs(a), $"target log p fp32 {a} vs bf16 {b}");
    }

    [SkippableFact]
    public void A_bf16_training_run_marks_its_metrics_lines()
    {
        Blas.Ensure();
        Skip.If(OneDnn.Bf16Unavailable is not null, OneDnn.Bf16Unavailable);
        string run = Path.Combine(_dir, "run");
        var r = CliHarness.Run("train", "--model", "tiny", "--context", "16", "--vocab", "101", "--data", "random:101", "--batch", "2", "--seq", "16",
            "--steps", "2", "--warmup", "0", "--val-batches", "0", "--threads", "1", "--precision", "bf16", "--out", run);
        Assert.True(r.Code == 0, r.Err);
        var lines = File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).Where(l => (string?)l["type"] == "train").ToList();
        Assert.Equal(2, lines.Count);
        Assert.All(lines, l => Assert.Equal("bf16", (string?)l["precision"]));
    }
}
