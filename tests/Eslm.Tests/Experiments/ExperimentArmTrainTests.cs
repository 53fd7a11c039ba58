using System.Text.Json.Nodes;
using Eslm.Experiments;
using Xunit;

namespace Eslm.Tests.Experiments;

/// <summary>An arm's "train" keys are honoured or refused, never replaced without a word.</summary>
public class ExperimentArmTrainTests
{
    private static ExperimentSpec Parse(string armTrain, string budget = "{\"steps\": 2}", string extra = "") => ExperimentSpec.Parse((JsonObject)JsonNode.Parse($$"""
        {"name": "t", "model": "tiny", "data": "d", "budget": {{budget}}, "train": {"steps": 4, "warmup": 1, "seq": 16} {{extra}},
         "arms": [{"strategy": "clm"}, {"name": "b", "strategy": "clm", "train": {{armTrain}}}]}
        """)!);

    [Theory]
    [InlineData("{\"seed\": 7}", "{\"steps\": 2}", "train.seed", "\"seeds\"")]
    [InlineData("{\"steps\": 5}", "{\"steps\": 2}", "train.steps", "budget")]
    [InlineData("{\"steps\": 5}", "{\"flops_accounted\": 1e9}", "train.steps", "budget")]
    [InlineData("{\"threads\": 1}", "{\"steps\": 2}", "train.threads", "--threads")]
    public void A_train_key_the_runner_sets_for_every_arm_is_refused(string armTrain, string budget, string key, string why)
    {
        var e = Assert.Throws<ArgumentException>(() => Parse(armTrain, budget));
        Assert.Contains($"arm b: key 'arms[1].{key}' cannot be set per arm", e.Message);
        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void The_other_train_keys_apply_to_the_arm()
    {
        var b = Parse("{\"warmup\": 3, \"lr\": 0.002, \"batch\": 3, \"seq\": 8, \"grad_clip\": 0.5, \"weight_decay\": 0, \"min_lr_fraction\": 0.2, \"grad_accum\": 2}").Arms[1].Train;
        Assert.Equal((3, 0.002f, 3, 8, 0.5f, 0f, 0.2f, 2), (b.WarmupSteps, b.LearningRate, b.BatchSize, b.SequenceLength, b.GradientClip, b.WeightDecay, b.MinLearningRateFraction, b.GradientAccumulation));
    }

    [Fact]
    public void An_arm_sequence_longer_than_the_model_context_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => Parse("{\"seq\": 128}"));
        Assert.Contains("train.seq 128 exceeds the context of model tiny", e.Message);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(-200)]
    public void A_negative_eval_max_tokens_is_refused(int value)
    {
        var e = Assert.Throws<ArgumentException>(() => Parse("{}", extra: $", \"eval_max_tokens\": {value}"));
        Assert.Contains("\"eval_max_tokens\" must be >= 0", e.Message);
    }

    [Fact]
    public void Zero_eval_max_tokens_is_the_whole_split() => Assert.Equal(0, Parse("{}", extra: ", \"eval_max_tokens\": 0").EvalMaxTokens);
}
