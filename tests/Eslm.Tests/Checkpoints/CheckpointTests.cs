using System.Text.Json.Nodes;
using Eslm.Checkpoints;
using Eslm.Model;
using Eslm.Tensors;
using Xunit;
using static Eslm.Tests.Checkpoints.TestFiles;

namespace Eslm.Tests.Checkpoints;

public class CheckpointTests
{
    private static (Gpt Model, TensorBlock M, TensorBlock V) Trained(ulong seed = 3)
    {
        var model = RandomModel(seed: seed);
        var m = new TensorBlock(ParameterLayout.For(model.Config));
        var v = new TensorBlock(ParameterLayout.For(model.Config));
        Fill(m, seed + 1, model.Config); Fill(v, seed + 2, model.Config);
        foreach (ref float x in v.All) x *= x;
        return (model, m, v);
    }

    private static JsonObject State(long step) => new()
    {
        ["step"] = step,
        ["rng"] = new Rng(7).State,
        ["data"] = new JsonObject { ["shard"] = 2, ["position"] = 123456789L },
        ["selector"] = new JsonObject { ["alpha"] = 0.3125 },
        ["options"] = new JsonObject { ["lr"] = 6e-4, ["batch"] = 4 },
    };

    [Fact]
    public void Save_then_load_restores_weights_moments_step_and_state_bit_exactly()
    {
        using var dir = new TempDir();
        var (model, m, v) = Trained();
        using (model) using (m) using (v)
        {
            Checkpoint.Save(dir["ck"], model, m, v, State(10), optimizerStep: 10);
            var config = Checkpoint.ReadConfig(dir["ck"]);
            using var model2 = new Gpt(config);
            using var m2 = new TensorBlock(ParameterLayout.For(config));
            using var v2 = new TensorBlock(ParameterLayout.For(config));
            var loaded = Checkpoint.Load(dir["ck"], model2, m2, v2);
            Assert.True(model.Parameters.All.SequenceEqual(model2.Parameters.All));
            Assert.True(m.All.SequenceEqual(m2.All));
            Assert.True(v.All.SequenceEqual(v2.All));
            Assert.Equal(10, loaded.OptimizerStep);
            Assert.True(JsonNode.DeepEquals(State(10), loaded.State));
            Assert.Equal(new Rng(7).State, Rng.FromState(loaded.State["rng"]!.GetValue<string>()).State);
        }
    }

    [Fact]
    public void Checkpoint_directory_is_a_Hugging_Face_folder_and_leaves_no_temporaries()
    {
        using var dir = new TempDir();
        using var model = RandomModel();
        Checkpoint.SaveStep(dir.Path, 5, model, null, null, State(5));
        string ck = Checkpoint.DirectoryFor(dir.Path, 5);
        Assert.True(File.Exists(Path.Combine(ck, "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(ck, "config.json")));
        Assert.False(File.Exists(Path.Combine(ck, "optimizer.safetensors")));
        Assert.Single(Directory.GetDirectories(dir.Path));
        using var hf = SafetensorsFile.Open(Path.Combine(ck, "model.safetensors"));
        using var back = HfGpt2.Load(hf);
        Assert.True(model.Parameters.All.SequenceEqual(back.Parameters.All));
    }

    [Fact]
    public void Latest_complete_ignores_temporaries_and_damaged_checkpoints_and_rotation_keeps_the_newest()
    {
        using var dir = new TempDir();
        using var model = RandomModel();
        for (int s = 1; s <= 4; s++) Checkpoint.SaveStep(dir.Path, s * 100, model, null, null, State(s * 100), keepLast: 3);
        Assert.Equal([200L, 300, 400], Checkpoint.ListComplete(dir.Path).Select(c => c.Step));
        // A half-written temporary of a newer step and a damaged newer checkpoint are both ignored.
        Directory.CreateDirectory(Path.Combine(dir.Path, ".step-00000500.tmp-999999-abc"));
        Directory.CreateDirectory(Path.Combine(dir.Path, "step-00000600"));
        File.WriteAllText(Path.Combine(dir.Path, "step-00000600", "state.json"), "{\"eslm_ch");
        Assert.Equal(Checkpoint.DirectoryFor(dir.Path, 400), Checkpoint.FindLatestComplete(dir.Path));
        Checkpoint.Rotate(dir.Path, 1);
        Assert.Equal([400L], Checkpoint.ListComplete(dir.Path).Select(c => c.Step));
        Assert.False(Directory.Exists(Path.Combine(dir.Path, ".step-00000500.tmp-999999-abc"))); // writer 999999 is gone
    }

    [Fact]
    public void A_truncated_weights_file_makes_the_checkpoint_incomplete()
    {
        using var dir = new TempDir();
        using var model = RandomModel();
        string ck = Checkpoint.SaveStep(dir.Path, 1, model, null, null, State(1));
        string weights = Path.Combine(ck, "model.safetensors");
        File.WriteAllBytes(weights, File.ReadAllBytes(weights)[..^4]);
        Assert.Null(Checkpoint.FindLatestComplete(dir.Path));
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(ck, model));
        Assert.Contains("model.safetensors: ", e.Message);
        Assert.Contains("truncated or modified", e.Message);
    }

    [Fact]
    public void Loading_into_a_model_of_another_size_is_an_error_naming_both_sizes()
    {
        using var dir = new TempDir();
        using var model = RandomModel();
        Checkpoint.Save(dir["ck"], model, null, null, State(1));
        using var bigger = new Gpt(Tiny with { Channels = 32 });
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(dir["ck"], bigger));
        Assert.Contains("different model size (L2 NH2 C16", e.Message);
        Assert.Contains("current model (L2 NH2 C32", e.Message);
    }

    [Fact]
    public void Missing_checkpoint_and_missing_optimizer_state_are_clear_errors()
    {
        using var dir = new TempDir();
        using var model = RandomModel();
        Assert.Contains("checkpoint not found", Assert.Throws<DirectoryNotFoundException>(() => Checkpoint.Load(dir["nope"], model)).Message);
        Checkpoint.Save(dir["ck"], model, null, null, State(1));
        using var m = new TensorBlock(ParameterLayout.For(model.Config));
        using var v = new TensorBlock(ParameterLayout.For(model.Config));
        Assert.Contains("optimizer.safetensors is missing", Assert.Throws<InvalidDataException>(() => Checkpoint.Load(dir["ck"], model, m, v)).Message);
        File.WriteAllText(Path.Combine(dir["ck"], "state.json"), "not json");
        Assert.Contains("state.json: invalid JSON", Assert.Throws<InvalidDataException>(() => Checkpoint.Load(dir["ck"], model)).Message);
    }

    [Fact]
    public void NaN_in_saved_moments_is_detected_on_load()
    {
        using var dir = new TempDir();
        var (model, m, v) = Trained();
        using (model) using (m) using (v)
        {
            v.Span(ParameterLayout.FcW)[3] = float.NaN;
            Checkpoint.Save(dir["ck"], model, m, v, State(1), 1);
            var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(dir["ck"], model, m, v));
            Assert.Contains("optimizer.safetensors: tensor 'v.h.0.mlp.c_fc.weight' contains NaN", e.Message);
        }
    }

    [Fact]
    public void A_full_disk_during_save_leaves_the_previous_checkpoint_untouched_and_no_temporaries()
    {
        using var dir = new TempDir();
        var (model, m, v) = Trained();
        using (model) using (m) using (v)
        {
            Checkpoint.Save(dir["ck"], model, m, v, State(1), 1);
            string before = Hash(dir["ck"]);
            Fill(model.Parameters, 99, model.Config);
            Checkpoint.StreamWrapperForTests = s => new FullDiskStream(s, 20_000);
            try
            {
                var e = Assert.Throws<IOException>(() => Checkpoint.Save(dir["ck"], model, m, v, State(2), 2));
                Assert.Contains("saving the checkpoint failed (No space left on device)", e.Message);
            }
            finally { Checkpoint.StreamWrapperForTests = null; }
            Assert.Equal(before, Hash(dir["ck"]));
            Assert.Single(Directory.GetFileSystemEntries(dir.Path));
        }
    }

    /// <summary>Throws like a full disk once more than <c>limit</c> bytes were written.</summary>
    private sealed class FullDiskStream(Stream inner, long limit) : Stream
    {
        private long _written;
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if ((_written += buffer.Length) > limit) throw new IOException("No space left on device");
            inner.Write(buffer);
        }
        public override void Flush() => inner.Flush();
        public override bool CanRead => false; public override bool CanSeek => false; public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _written; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
