using Eslm.Data;
using Xunit;

namespace Eslm.Tests.Data;

public class DataLoaderTests : DataTestBase
{
    private string Dataset(int documents = 80)
    {
        string output = Path.Combine(Dir, "ds");
        if (!Directory.Exists(output)) Prepare(output, [JsonlCorpus(documents: documents)], o => o with { ValDocuments = 10, ShardTokens = 1024 });
        return output;
    }

    private static (int[] Inputs, int[] Targets) Next(Eslm.Data.IBatchSource s)
    {
        var x = new int[s.BatchSize * s.SequenceLength];
        var y = new int[x.Length];
        s.NextBatch(x, y);
        return (x, y);
    }

    private static void Same((int[] Inputs, int[] Targets) expected, (int[] Inputs, int[] Targets) actual)
    {
        Assert.Equal(expected.Inputs, actual.Inputs);
        Assert.Equal(expected.Targets, actual.Targets);
    }

    [Fact]
    public void Targets_are_the_inputs_shifted_by_one_token_of_the_data()
    {
        string ds = Dataset();
        var all = ReadSplit(ds, "train");
        using var loader = DataLoader.Open(ds, "train", 4, 16, SamplingMode.Random, seed: 3);
        var (x, y) = Next(loader);
        for (int b = 0; b < 4; b++)
        {
            long start = loader.RowStarts[b];
            for (int t = 0; t < 16; t++)
            {
                Assert.Equal(all[start + t], x[b * 16 + t]);
                Assert.Equal(all[start + t + 1], y[b * 16 + t]);
            }
        }
    }

    [Fact]
    public void Sequential_sampling_walks_the_data_in_windows_of_T_and_wraps_into_a_new_epoch()
    {
        string ds = Dataset();
        long n = ReadSplit(ds, "train").Length;
        using var loader = DataLoader.Open(ds, "train", 2, 32, SamplingMode.Sequential);
        Next(loader);
        Assert.Equal([0L, 32L], loader.RowStarts.ToArray());
        long batches = n / 64 + 2;
        for (int i = 0; i < batches; i++) Next(loader);
        Assert.Equal(1, loader.Epochs[0]);
    }

    [Fact]
    public void The_same_seed_gives_the_same_batches()
    {
        string ds = Dataset();
        using var a = DataLoader.Open(ds, "train", 3, 8, SamplingMode.Random, 11);
        using var b = DataLoader.Open(ds, "train", 3, 8, SamplingMode.Random, 11);
        using var c = DataLoader.Open(ds, "train", 3, 8, SamplingMode.Random, 12);
        var first = Next(a);
        Same(first, Next(b));
        Assert.NotEqual(first.Inputs, Next(c).Inputs);
    }

    [Theory]
    [InlineData(SamplingMode.Random)]
    [InlineData(SamplingMode.Sequential)]
    [InlineData(SamplingMode.Shuffled)]
    public void Saved_state_restores_the_exact_stream_of_batches(SamplingMode sampling)
    {
        string ds = Dataset();
        using var a = DataLoader.Open(ds, "train", 2, 16, sampling, 5);
        for (int i = 0; i < 7; i++) Next(a);
        var state = System.Text.Json.Nodes.JsonNode.Parse(a.SaveState().ToJsonString())!.AsObject(); // through text, as in a checkpoint
        var expected = Enumerable.Range(0, 5).Select(_ => Next(a)).ToList();
        using var b = DataLoader.Open(ds, "train", 2, 16, sampling, seed: 999);
        b.RestoreState(state);
        foreach (var batch in expected) Same(batch, Next(b));
    }

    [Fact]
    public void Restoring_a_state_saved_for_other_data_is_an_error()
    {
        string ds = Dataset();
        using var a = DataLoader.Open(ds, "train", 2, 16);
        using var v = DataLoader.Open(ds, "val", 2, 16);
        Assert.Throws<InvalidDataException>(() => v.RestoreState(a.SaveState()));
    }

    [Fact]
    public void Mixed_datasets_are_drawn_in_proportion_to_their_weights()
    {
        string ds = Dataset();
        string other = Path.Combine(Dir, "other.bin");
        TokenShard.Write(other, Enumerable.Range(0, 5000).Select(i => (ushort)(i % 100)).ToArray());
        using var loader = DataLoader.OpenMixture([(ds, 0.25), (other, 0.75)], "train", 8, 8, SamplingMode.Random, 1);
        int fromOther = 0;
        for (int i = 0; i < 250; i++) { Next(loader); foreach (int s in loader.RowSources) fromOther += s; }
        Assert.InRange(fromOther / 2000.0, 0.71, 0.79);
    }

    [Fact]
    public void A_single_llm_c_shard_and_a_raw_uint16_file_open_directly()
    {
        string shard = Path.Combine(Dir, "one.bin");
        TokenShard.Write(shard, Enumerable.Range(0, 100).Select(i => (ushort)i).ToArray());
        string raw = Path.Combine(Dir, "raw.bin");
        File.WriteAllBytes(raw, Enumerable.Range(0, 100).SelectMany(i => new[] { (byte)i, (byte)0 }).ToArray());
        foreach (var path in new[] { shard, raw })
        {
            using var loader = DataLoader.Open(path, "train", 1, 10, SamplingMode.Sequential);
            var (x, y) = Next(loader);
            Assert.Equal(Enumerable.Range(0, 10), x);
            Assert.Equal(Enumerable.Range(1, 10), y);
        }
    }

    [Fact]
    public void Data_shorter_than_one_sequence_is_rejected_naming_the_file()
    {
        string shard = Path.Combine(Dir, "tiny.bin");
        TokenShard.Write(shard, [1, 2, 3]);
        Assert.Contains("tiny.bin", Assert.Throws<InvalidDataException>(() => DataLoader.Open(shard, "train", 1, 8)).Message);
    }

    [Fact]
    public void Validation_batches_are_fixed_and_weight_every_target_exactly_once()
    {
        string ds = Dataset();
        var all = ReadSplit(ds, "val");
        using var val = DataLoader.OpenValidation(ds, "val", 3, 16);
        Assert.Equal((long)Math.Ceiling((all.Length - 1) / 16.0), val.SequenceCount);
        Assert.Equal((int)Math.Ceiling(val.SequenceCount / 3.0), val.BatchCount);
        var counted = new int[all.Length];
        var x = new int[48]; var y = new int[48]; var w = new float[48];
        var firstPass = new List<int[]>();
        for (int i = 0; i < val.BatchCount; i++)
        {
            val.NextBatch(x, y, w);
            firstPass.Add((int[])x.Clone());
            for (int b = 0; b < 3; b++)
                for (int t = 0; t < 16; t++)
                {
                    Assert.Equal(all[val.RowStarts[b] + t + 1], y[b * 16 + t]);
                    if (w[b * 16 + t] == 1) counted[val.RowStarts[b] + t + 1]++;
                }
        }
        Assert.Equal(0, counted[0]);
        Assert.All(counted.Skip(1), c => Assert.Equal(1, c));
        for (int i = 0; i < val.BatchCount; i++) { val.NextBatch(x, y); Assert.Equal(firstPass[i], x); } // the same batches again
    }
}
