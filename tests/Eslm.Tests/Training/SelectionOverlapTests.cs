using Eslm.Data;
using Eslm.Model;
using Eslm.Selection;
using Eslm.Tests.Cli;
using Eslm.Tests.Reference;
using Eslm.Training;
using Xunit;

namespace Eslm.Tests.Training;

/// <summary>`eslm selection-overlap` (issue 15): the set arithmetic, and the comparison of two models on the same batches.</summary>
public class SelectionOverlapTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("eslm-overlap-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private static readonly GptConfig Config = new() { Layers = 1, Heads = 2, Channels = 32, MaxSequenceLength = 16, VocabSize = 64, PaddedVocabSize = 64 };

    [Fact]
    public void Jaccard_agreement_and_chance_follow_their_definitions()
    {
        var b = new OverlapBatch(Tokens: 10, KeptA: 4, KeptB: 6, KeptBoth: 3);
        Assert.Equal(3.0 / 7.0, b.Jaccard, 1e-12);             // |A∩B| = 3, |A∪B| = 4 + 6 − 3
        Assert.Equal((10 - 4 - 6 + 6) / 10.0, b.Agreement, 1e-12); // both keep 3, both drop 10 − 7 = 3
        var r = new OverlapResult([b, new OverlapBatch(10, 6, 4, 4)]);
        Assert.Equal(new OverlapBatch(20, 10, 10, 7), r.Total);
        Assert.Equal(0.25 / 0.75, r.ChanceJaccard, 1e-12);     // a = b = 0.5: ab / (a + b − ab) = 1/3
        Assert.Equal(1.0, new OverlapBatch(10, 0, 0, 0).Jaccard);
    }

    private TokenSequence Tokens(int count)
    {
        string path = Path.Combine(_dir, "tokens.bin");
        var rng = new Random(5);
        TokenShard.Write(path, Enumerable.Range(0, count).Select(_ => (ushort)rng.Next(Config.VocabSize)).ToArray());
        return TokenSequence.Open(path);
    }

    private static Gpt Model(ulong seed)
    {
        var m = new Gpt(Config);
        WeightInit.Initialize(m, seed);
        return m;
    }

    private static TokenSelector Eslm() => StrategyRegistry.Create(new SelectionOptions { Strategy = "eslm", Alpha = 0.5 });

    [Fact]
    public void A_model_against_itself_overlaps_fully_and_different_models_do_not()
    {
        Blas.Ensure();
        using var tokens = Tokens(4 * 3 * 16 + 1);
        using var a = Model(1);
        using var same = Model(1);
        using var other = Model(2);
        var self = SelectionOverlap.Measure(a, Eslm(), same, Eslm(), tokens, 4, 16, 3);
        Assert.Equal(3, self.Batches.Count);
        Assert.All(self.Batches, x => { Assert.Equal(64, x.Tokens); Assert.Equal(1.0, x.Jaccard); Assert.Equal(x.KeptA, x.KeptBoth); });
        Assert.All(self.Batches, x => Assert.InRange(x.KeptA, 32, 40)); // α = 0.5: scores ≥ VaR_0.5, about half (ties kept)

        var cross = SelectionOverlap.Measure(a, Eslm(), other, Eslm(), tokens, 4, 16, 3);
        var t = cross.Total;
        Assert.True(t.Jaccard < 1.0, "two differently initialised models kept exactly the same tokens");
        Assert.InRange(t.KeptBoth, 0, Math.Min(t.KeptA, t.KeptB));
    }

    [Fact]
    public void Asking_for_more_batches_than_the_split_holds_names_the_file()
    {
        Blas.Ensure();
        using var tokens = Tokens(2 * 16 + 1);
        using var a = Model(1);
        using var b = Model(1);
        var e = Assert.Throws<ArgumentException>(() => SelectionOverlap.Measure(a, Eslm(), b, Eslm(), tokens, 2, 16, 2));
        Assert.Contains("tokens.bin", e.Message);
        Assert.Contains("fewer than the 2 asked for", e.Message);
    }

    [Fact]
    public void The_command_refuses_a_missing_model_in_one_line()
    {
        var r = CliHarness.Run("selection-overlap", "--a", Path.Combine(_dir, "nope"), "--b", "preset:tiny", "--data", _dir);
        Assert.NotEqual(0, r.Code);
        Assert.Contains("nope: --a model not found", r.Err);
        Assert.Single(r.Err.Trim().Split('\n'));
    }

    [Theory]
    [InlineData("{\"model\":", "not valid JSON")]
    [InlineData("", "empty; expected a JSON object")]
    [InlineData("[1]", "expected a JSON object")]
    [InlineData("{\"options\": {\"precision\": 5}}", "key 'options.precision' must be fp32 or bf16 (got 5)")]
    public void A_damaged_run_json_is_one_line_naming_the_file_and_the_key(string content, string problem)
    {
        string run = Path.Combine(_dir, "run");
        using (var model = Model(1)) global::Eslm.Checkpoints.Checkpoint.Save(Path.Combine(run, "step-00000003"), model, null, null, new System.Text.Json.Nodes.JsonObject());
        File.WriteAllText(Path.Combine(run, "run.json"), content);
        var r = CliHarness.Run("selection-overlap", "--a", run, "--b", "preset:tiny", "--data", _dir);
        CliHarness.AssertOneLineError(r, 1, Path.Combine(run, "run.json") + ": " + problem);
        Assert.Single(r.Err.Trim().Split('\n'));
    }

    [Fact]
    public void A_bad_precision_names_the_flag_given()
    {
        var r = CliHarness.Run("selection-overlap", "--a", "preset:tiny", "--b", "preset:tiny", "--data", _dir, "--precision-a", "fp16");
        CliHarness.AssertOneLineError(r, 2, "--precision-a must be fp32 or bf16 (got 'fp16')");
    }
}
