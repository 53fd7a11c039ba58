using System.Text.Json.Nodes;
using Eslm.Data;
using Eslm.Tests.Cli;
using Xunit;

namespace Eslm.Tests.Data;

/// <summary>A Rho-1 sidecar records the scored split's identity, and training refuses one of other data (issue 13, item 3).</summary>
public class SidecarIdentityTests : DataTestBase
{
    private string Dataset(string name, int documents)
    {
        string output = Path.Combine(Dir, name);
        Prepare(output, [JsonlCorpus(name + ".jsonl", documents)]);
        return output;
    }

    private static string[] Rho1(string data, string sidecar, string outDir) =>
        ["train", "--model", "tiny", "--context", "16", "--data", data, "--out", outDir, "--batch", "1", "--seq", "16", "--steps", "1",
         "--strategy", "rho1", "--reference-losses", sidecar, "--sampling", "sequential", "--warmup", "0", "--val-batches", "0", "--threads", "1"];

    [Fact]
    public void Score_records_the_split_checksum_and_training_on_that_split_accepts_it()
    {
        string data = Dataset("a", 40);
        string sidecar = Path.Combine(Dir, "a.losses.bin");
        var scored = CliHarness.Run("score", "--reference", "preset:tiny", "--data", data, "--seq", "16", "--out", sidecar, "--threads", "1");
        Assert.True(scored.Code == 0, scored.Err);
        using (var file = ReferenceLossFile.Open(sidecar))
        using (var tokens = TokenSequence.Open(data, "train"))
            Assert.Equal(TokenChecksum.Of(tokens), file.SplitChecksum);
        var r = CliHarness.Run(Rho1(data, sidecar, Path.Combine(Dir, "run")));
        Assert.True(r.Code == 0, r.Err);
        Assert.DoesNotContain("warning", r.Err);
    }

    [Fact]
    public void The_checksum_is_fnv1a_64_over_little_endian_uint16_the_same_for_a_split_a_shard_and_a_span()
    {
        // Reference values from the FNV-1a definition (offset basis 0xcbf29ce484222325, prime 0x100000001b3) over bytes 01 00 02 00 34 12.
        Assert.Equal("fnv1a64:cbf29ce484222325", TokenChecksum.Of(ReadOnlySpan<ushort>.Empty));
        Assert.Equal("fnv1a64:3a9346d7e781179c", TokenChecksum.Of([1, 2, 0x1234]));
        string data = Dataset("c", 40);
        using var split = TokenSequence.Open(data, "train");
        using var shard = TokenShard.Open(Path.Combine(data, "train_000000.bin"));
        ushort[] Tokens(long count, Action<long, Span<int>> copy)
        {
            var all = new int[count];
            copy(0, all);
            return all.Select(t => (ushort)t).ToArray();
        }
        Assert.Equal(TokenChecksum.Of(Tokens(split.Count, split.CopyTo)), TokenChecksum.Of(split));
        Assert.Equal(TokenChecksum.Of(Tokens(shard.Count, shard.CopyTo)), TokenChecksum.Of(shard));
    }

    [Fact]
    public void A_longer_sidecar_of_another_dataset_is_refused_naming_both_files()
    {
        string big = Dataset("big", 80), small = Dataset("small", 40);
        string sidecar = Path.Combine(Dir, "big.losses.bin");
        Assert.Equal(0, CliHarness.Run("score", "--reference", "preset:tiny", "--data", big, "--seq", "16", "--out", sidecar, "--threads", "1").Code);
        var r = CliHarness.Run(Rho1(small, sidecar, Path.Combine(Dir, "run")));
        CliHarness.AssertOneLineError(r, 1, sidecar, small, "other data");
    }

    [Fact]
    public void A_sidecar_of_as_many_tokens_but_other_ones_is_refused_by_its_checksum()
    {
        string data = Dataset("a", 40);
        using var tokens = TokenSequence.Open(data, "train");
        string sidecar = Path.Combine(Dir, "forged.bin");
        ReferenceLossFile.Write(sidecar, new JsonObject { ["window"] = 16, ["split_checksum"] = "fnv1a64:0123456789abcdef" }, new float[tokens.Count]);
        using var file = ReferenceLossFile.Open(sidecar);
        var e = Assert.Throws<InvalidDataException>(() => file.CheckBelongsTo(tokens));
        Assert.Contains(sidecar, e.Message);
        Assert.Contains(data, e.Message);
    }

    [Fact]
    public void An_old_sidecar_without_a_checksum_is_accepted_with_a_warning()
    {
        string data = Dataset("a", 40);
        using var tokens = TokenSequence.Open(data, "train");
        string sidecar = Path.Combine(Dir, "old.bin");
        ReferenceLossFile.Write(sidecar, new JsonObject { ["window"] = 16 }, new float[tokens.Count]);
        var r = CliHarness.Run(Rho1(data, sidecar, Path.Combine(Dir, "run")));
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("eslm: warning: " + sidecar, r.Err);
    }
}
