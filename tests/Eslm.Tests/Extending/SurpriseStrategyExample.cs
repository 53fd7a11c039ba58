using System.Text.Json.Nodes;
using Eslm.Cli;
using Eslm.Data;
using Eslm.Selection;
using Eslm.Tests.Checkpoints;
using Eslm.Tests.Reference;
using Xunit;

namespace Eslm.Tests.Extending;

// ---- docs/extending.md, the worked example: everything a new strategy needs, in one file. ----

/// <summary>The example strategy's own settings: each [Setting] property becomes a flag, a JSON key and a help line.</summary>
public sealed record SurpriseSettings : IStrategySettings
{
    [Setting("surprise: weight w of the entropy subtracted from the loss")]
    public double EntropyWeight { get; init; } = 1.0;

    public void Validate(bool selected)
    {
        if (!double.IsFinite(EntropyWeight) || EntropyWeight < 0) throw new ArgumentException($"--entropy-weight must be >= 0 (got {EntropyWeight})");
    }
}

/// <summary>
/// `surprise`: keep the tokens whose loss most exceeds what the model itself expected (its predictive entropy):
/// score = loss − w·entropy, kept when ≥ VaR_α (the default rule of <see cref="TokenSelector.Select"/>).
/// </summary>
public sealed class SurpriseSelector(SelectionOptions options) : TokenSelector(options), IStrategy
{
    public static StrategyDefinition Definition { get; } = new("surprise", "keep tokens whose loss exceeds the predicted entropy the most", o => new SurpriseSelector(o))
    {
        Settings = typeof(SurpriseSettings),
        Uses = SharedOptions.Alpha, // of the shared options, it reads only --alpha (the default rule's VaR level)
        Describe = o => $"surprise w={o.Get<SurpriseSettings>().EntropyWeight:0.##} α={o.Alpha:0.##}",
    };

    private readonly double _weight = options.Get<SurpriseSettings>().EntropyWeight;

    public override void Score(in TokenStats stats, Span<float> scores)
    {
        for (int i = 0; i < scores.Length; i++) scores[i] = (float)(stats.Loss[i] - _weight * stats.Entropy[i]);
    }
}

// ---- its tests: plain vectors in, masks out; then a few steps through `eslm train`. ----

public sealed class SurpriseStrategyExampleTests
{
    [Fact]
    public void Surprise_keeps_the_tokens_whose_loss_most_exceeds_their_entropy()
    {
        float[] loss = [1, 5, 2, 4], entropy = [0, 1, 3, 4];
        var selector = new SurpriseSelector(new SelectionOptions { Strategy = "surprise", Alpha = 0.5 }.With(new SurpriseSettings { EntropyWeight = 1 }));
        var scores = new float[4];
        selector.Score(new TokenStats { Loss = loss, Entropy = entropy, SequenceLength = 4 }, scores);
        Assert.Equal([1f, 4f, -1f, 0f], scores);
        var keep = new bool[4];
        selector.Select(scores, keep, new LocalValueAtRisk());
        Assert.Equal([true, true, false, true], keep); // VaR_0.5 = the 2nd smallest score, 0: scores ≥ 0 are kept
    }

    [Fact]
    public void A_strategy_registered_from_outside_the_library_trains_through_eslm_train()
    {
        Blas.Ensure();
        using var dir = new TempDir();
        var tokens = Enumerable.Range(0, 4000).Select(i => (ushort)(i * 7919 % 101)).ToArray();
        TokenShard.Write(dir["train.bin"], tokens);
        using (StrategyRegistry.Register(SurpriseSelector.Definition))
        {
            Assert.Contains("--entropy-weight", Help("train"));
            int exit = Program.Main(["train", "--model", "tiny", "--vocab", "101", "--data", dir["train.bin"], "--batch", "2", "--seq", "16",
                "--steps", "3", "--warmup", "1", "--val-batches", "0", "--threads", "1", "--out", dir["run"],
                "--strategy", "surprise", "--alpha", "0.5", "--entropy-weight", "0.5"]);
            Assert.Equal(0, exit);
        }
        Assert.DoesNotContain("--entropy-weight", Help("train")); // unregistered again
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(dir["run"], "run.json")))!;
        Assert.Equal("surprise", (string?)run["options"]!["selection"]!["strategy"]);
        Assert.Equal(0.5, (double)run["options"]!["selection"]!["entropy_weight"]!);
        Assert.False(run["options"]!["selection"]!.AsObject().ContainsKey("keep")); // not a shared option it uses
        var steps = File.ReadAllLines(Path.Combine(dir["run"], "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).Where(l => (string?)l["type"] == "train").ToList();
        Assert.Equal(3, steps.Count);
        Assert.All(steps, s => Assert.InRange((double)s["kept_fraction"]!, 0.5, 0.75));
    }

    private static string Help(string command)
    {
        var output = new StringWriter();
        Program.BuildRootCommand().Parse([command, "--help"]).Invoke(new System.CommandLine.InvocationConfiguration { Output = output });
        return output.ToString();
    }
}
