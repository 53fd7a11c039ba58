using Eslm.Data;
using Eslm.Selection;
using Eslm.Selection.Strategies;
using Eslm.Tests.Training;
using Eslm.Training;
using Xunit;

namespace Eslm.Tests.Selection;

public class ReferenceLossTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "eslm-refloss-" + Guid.NewGuid().ToString("N"));

    public ReferenceLossTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }

    /// <summary>A token shard of <paramref name="count"/> random ids below the tiny model's vocabulary.</summary>
    private string Shard(int count)
    {
        var rng = new Random(4);
        var tokens = Enumerable.Range(0, count).Select(_ => (ushort)rng.Next(TrainerHarness.Tiny.VocabSize)).ToArray();
        string path = Path.Combine(_dir, "tokens.bin");
        TokenShard.Write(path, tokens);
        return path;
    }

    [Fact]
    public void Sidecar_losses_equal_the_reference_forward_on_each_aligned_window_and_cover_the_tail()
    {
        const int T = 16, count = 16 * 7 + 5;
        string shard = Shard(count);
        using var reference = TrainerHarness.NewModel(3);
        using var tokens = TokenSequence.Open(shard);
        var losses = ReferenceScorer.Score(reference, tokens, T, batchSize: 3);
        Assert.True(float.IsNaN(losses[0]));
        Assert.All(losses.Skip(1), l => Assert.True(float.IsFinite(l) && l > 0));

        var row = new int[T + 1];
        for (int k = 0; k < 7; k++)
        {
            tokens.CopyTo(k * T, row);
            reference.Forward(row.AsSpan(0, T), row.AsSpan(1, T), 1, T);
            for (int t = 0; t < T; t++) Assert.Equal(reference.Losses[t], losses[k * T + t + 1], 1e-5);
        }
    }

    [Fact]
    public void Sidecar_round_trips_and_rejects_a_truncated_file()
    {
        string path = Path.Combine(_dir, "x.reference-losses.bin");
        var values = new float[] { float.NaN, 1, 2, 3, 4, 5 };
        ReferenceLossFile.Write(path, new System.Text.Json.Nodes.JsonObject { ["window"] = 2 }, values);
        using (var file = ReferenceLossFile.Open(path))
        {
            var dest = new float[2];
            file.TargetsOfWindow(2, dest);
            Assert.Equal(new float[] { 3, 4 }, dest);
            Assert.Throws<ArgumentException>(() => file.TargetsOfWindow(4, dest));
        }
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^3]);
        var e = Assert.Throws<InvalidDataException>(() => ReferenceLossFile.Open(path));
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Rho1_from_the_sidecar_equals_rho1_with_the_online_reference_on_aligned_windows()
    {
        const int T = 16, B = 4;
        string shard = Shard(16 * 40 + 1);
        string sidecar = Path.Combine(_dir, "train.reference-losses.bin");
        using (var reference = TrainerHarness.NewModel(3))
        using (var tokens = TokenSequence.Open(shard))
            ReferenceLossFile.Write(sidecar, new System.Text.Json.Nodes.JsonObject { ["window"] = T }, ReferenceScorer.Score(reference, tokens, T, 8));

        float[] Train(SelectionOptions selection)
        {
            using var model = TrainerHarness.NewModel();
            using var data = DataLoader.Open(shard, "train", B, T, SamplingMode.Sequential, 1);
            using var trainer = new Trainer(model, TrainerHarness.Options(B, 1, 3), data, StrategyRegistry.Create(selection), _ => TrainerHarness.NewModel(3));
            for (int s = 0; s < 3; s++) trainer.Step();
            return model.Parameters.All.ToArray();
        }

        var online = Train(new SelectionOptions { Strategy = "rho1", Keep = 0.5 }.With(new Rho1Settings { Reference = "ref", ReferenceOnline = true }));
        var offline = Train(new SelectionOptions { Strategy = "rho1", Keep = 0.5 }.With(new Rho1Settings { ReferenceLosses = sidecar }));
        SelectionTrainingTests.AssertClose(online, offline, 1e-6);
    }
}
