using System.Text.Json.Nodes;
using Eslm.Checkpoints;
using Eslm.Cli;
using Eslm.Data;
using Eslm.Selection;
using Eslm.Tests.Checkpoints;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>`eslm inspect` describes every file Eslm writes, and a truncated one is an error (exit 1), never "fine".</summary>
public class InspectFilesTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliHarness.Run(args);

    private static void AssertRuntimeError((int Code, string Out, string Err) r, string file, string problem)
    {
        Assert.Equal(1, r.Code);
        string err = r.Err.TrimEnd('\n');
        Assert.DoesNotContain('\n', err);
        Assert.StartsWith("eslm: error: ", err);
        Assert.Contains(file, err);
        Assert.Contains(problem, err);
    }

    [Fact]
    public void A_reference_loss_sidecar_is_described()
    {
        using var dir = new TempDir();
        ReferenceLossFile.Write(dir["ref.bin"], new JsonObject { ["window"] = 4, ["split"] = "train", ["dataset"] = "data/noisy" }, [float.NaN, 1f, 2f, 3f]);
        var r = Run("inspect", dir["ref.bin"]);
        Assert.Equal(0, r.Code);
        Assert.Contains("reference-loss sidecar", r.Out);
        Assert.Contains("4 tokens, window 4", r.Out);
        Assert.Contains("mean 2.0000", r.Out);
        Assert.Contains("\"data/noisy\"", r.Out);
    }

    [Fact]
    public void A_nanogpt_headerless_token_file_is_described_and_an_odd_or_text_one_is_an_error()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir["train.bin"], [.. BitConverter.GetBytes((ushort)1), .. BitConverter.GetBytes((ushort)50300), .. BitConverter.GetBytes((ushort)7)]);
        var r = Run("inspect", dir["train.bin"]);
        Assert.True(r.Code == 0, r.Err); // was: unrecognised format, though --data reads it
        Assert.Contains("headerless uint16 token file (nanoGPT's .bin), 3 tokens", r.Out);
        Assert.Contains("largest id in the first 3 tokens: 50300 (beyond GPT-2's vocabulary: train with --vocab 50301 or more)", r.Out);

        File.Copy(dir["train.bin"], dir["TRAIN.BIN"]); // --data takes the name in any case (TokenFileCheck), so inspect does too
        Assert.Contains("3 tokens", Run("inspect", dir["TRAIN.BIN"]).Out);

        File.WriteAllBytes(dir["odd.bin"], [1, 2, 3]);
        AssertRuntimeError(Run("inspect", dir["odd.bin"]), dir["odd.bin"], "odd byte count");
        File.WriteAllText(dir["text.bin"], "plain English text, not token ids at all\n");
        AssertRuntimeError(Run("inspect", dir["text.bin"]), dir["text.bin"], "UTF-8 text");
    }

    [Fact]
    public void A_truncated_reference_loss_sidecar_is_an_error()
    {
        using var dir = new TempDir();
        ReferenceLossFile.Write(dir["ref.bin"], new JsonObject { ["window"] = 4 }, [float.NaN, 1f, 2f, 3f]);
        var bytes = File.ReadAllBytes(dir["ref.bin"]);
        File.WriteAllBytes(dir["ref.bin"], bytes[..^2]);
        AssertRuntimeError(Run("inspect", dir["ref.bin"]), dir["ref.bin"], "truncated");
    }

    [Fact]
    public void A_truncated_llm_c_model_file_is_an_error_after_its_description()
    {
        using var dir = new TempDir();
        using (var model = TestFiles.RandomModel()) LlmcModelFile.Save(dir["m.bin"], model);
        var bytes = File.ReadAllBytes(dir["m.bin"]);
        File.WriteAllBytes(dir["m.bin"], bytes[..^100]);
        var r = Run("inspect", dir["m.bin"]);
        Assert.Contains("llm.c model file", r.Out);
        AssertRuntimeError(r, dir["m.bin"], "truncated");
    }

    [Theory]
    [InlineData("cut")]
    [InlineData("header")]
    public void A_damaged_checkpoint_is_described_then_an_error_naming_the_file(string damage)
    {
        using var dir = new TempDir();
        using (var model = TestFiles.RandomModel()) Checkpoint.Save(dir["ck"], model, null, null, new JsonObject { ["step"] = 3 });
        Assert.Equal(0, Run("inspect", dir["ck"]).Code);
        string weights = Path.Combine(dir["ck"], Checkpoint.WeightsFile);
        var bytes = File.ReadAllBytes(weights);
        if (damage == "cut") File.WriteAllBytes(weights, bytes[..^10]);
        else { bytes[9] = (byte)'#'; File.WriteAllBytes(weights, bytes); } // same length, header no longer JSON
        var r = Run("inspect", dir["ck"]);
        Assert.Contains("Eslm checkpoint", r.Out);
        AssertRuntimeError(r, weights, damage == "cut" ? "truncated or modified" : "header");
    }

    [Fact]
    public void A_truncated_token_shard_is_an_error()
    {
        using var dir = new TempDir();
        TokenShard.Write(dir["s.bin"], [1, 2, 3, 4, 5]);
        var bytes = File.ReadAllBytes(dir["s.bin"]);
        File.WriteAllBytes(dir["s.bin"], bytes[..^3]);
        AssertRuntimeError(Run("inspect", dir["s.bin"]), dir["s.bin"], "truncated");
    }

    [Fact]
    public void A_dataset_folder_and_its_manifest_are_described()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["a.txt"], string.Join("\n\n", Enumerable.Range(0, 30).Select(i => $"Paragraph {i} of the text.")));
        CorpusPreparer.Prepare(new PrepareOptions { Inputs = DocumentReader.Expand([dir["a.txt"]]), OutputDirectory = dir["ds"] });
        foreach (var path in new[] { dir["ds"], Path.Combine(dir["ds"], "manifest.json") })
        {
            var r = Run("inspect", path);
            Assert.Equal(0, r.Code);
            Assert.Contains("Eslm dataset", r.Out);
            Assert.Contains("val held out as document-tails", r.Out);
            Assert.Contains("unigram model (train-split token frequencies, add-one over 50,257 ids): val loss ", r.Out);
            Assert.Contains("shard(s), sizes and checksums ok", r.Out);
        }
        var shard = Path.Combine(dir["ds"], "val_000000.bin");
        var original = File.ReadAllBytes(shard);
        var swapped = (byte[])original.Clone();
        (swapped[^1], swapped[^3]) = (original[^3], original[^1]); // two tokens' high bytes: same size, other tokens
        Assert.NotEqual(original, swapped);
        File.WriteAllBytes(shard, swapped);
        AssertRuntimeError(Run("inspect", dir["ds"]), "val_000000.bin", "replaced or changed after eslm prepare");
        File.WriteAllBytes(shard, original);
        File.WriteAllBytes(shard, File.ReadAllBytes(shard)[..^2]);
        AssertRuntimeError(Run("inspect", dir["ds"]), "val_000000.bin", "truncated");
    }

    [Fact]
    public void Json_records_are_described_by_kind()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["metrics.jsonl"], "{\"type\":\"train\",\"step\":0,\"loss\":10.8}\n{\"type\":\"val\",\"step\":1,\"loss\":10.1}\n");
        var r = Run("inspect", dir["metrics.jsonl"]);
        Assert.Equal(0, r.Code);
        Assert.Contains("training metrics", r.Out);
        Assert.Contains("train 1, val 1", r.Out);
        File.WriteAllText(dir["t.jsonl"], "{\"ctx\":\"a\",\"endings\":[\"b\",\"c\"],\"label\":0}\n");
        Assert.Contains("multiple-choice task", Run("inspect", dir["t.jsonl"]).Out);
        File.WriteAllText(dir["run.json"], "{\"model\": {\"layers\": 2}, \"options\": {}}");
        Assert.Contains("run configuration", Run("inspect", dir["run.json"]).Out);
        File.WriteAllText(dir["cut.jsonl"], "{\"type\":\"train\",\"step\":0}\n{\"type\":\"tra");
        AssertRuntimeError(Run("inspect", dir["cut.jsonl"]), "cut.jsonl:2", "not JSON");
    }

    [Fact]
    public void Usage_errors_exit_2_and_runtime_failures_exit_1()
    {
        Assert.Equal(2, Run("train", "--no-such-option").Code);
        Assert.Equal(2, Run("train", "--model", "tiny", "--data", "random:50257", "--steps", "-1").Code);
        using var dir = new TempDir();
        Assert.Equal(1, Run("inspect", dir["missing.bin"]).Code);
    }
}
