using System.Text.Json.Nodes;
using Eslm.Data;
using Xunit;

namespace Eslm.Tests.Data;

/// <summary>`--sampling shuffled`: sequential's T-aligned windows, each once per epoch, in a seeded order per epoch.</summary>
public class ShuffledSamplingTests : DataTestBase
{
    /// <summary>Row starts of the next <paramref name="batches"/> batches, in order.</summary>
    private static List<long> Starts(DataLoader loader, int batches)
    {
        var x = new int[loader.BatchSize * loader.SequenceLength];
        var y = new int[x.Length];
        var starts = new List<long>();
        for (int i = 0; i < batches; i++) { loader.NextBatch(x, y); starts.AddRange(loader.RowStarts.ToArray()); }
        return starts;
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(2L)]
    [InlineData(3L)]
    [InlineData(5L)]
    [InlineData(64L)]
    [InlineData(65L)]
    [InlineData(1000L)]
    [InlineData(4099L)]
    public void The_permutation_is_a_bijection_of_0_to_count(long count)
    {
        foreach (ulong key in new[] { 0UL, 1UL, 0xDEADBEEFUL, ulong.MaxValue })
        {
            var permutation = new WindowPermutation(count, key);
            var values = Enumerable.Range(0, (int)count).Select(i => permutation[i]).ToArray();
            Assert.Equal(Enumerable.Range(0, (int)count).Select(i => (long)i), values.Order());
        }
    }

    [Fact]
    public void Permutations_differ_by_key_and_look_shuffled()
    {
        var a = Enumerable.Range(0, 1000).Select(i => new WindowPermutation(1000, 1)[i]).ToArray();
        var b = Enumerable.Range(0, 1000).Select(i => new WindowPermutation(1000, 2)[i]).ToArray();
        Assert.NotEqual(a, b);
        Assert.InRange(a.Where((v, i) => v == i).Count(), 0, 10); // about 1 fixed point expected of a random permutation
        Assert.InRange(a.Zip(a.Skip(1)).Count(p => p.Second == p.First + 1), 0, 10); // sequential runs broken up
        Assert.Throws<ArgumentOutOfRangeException>(() => new WindowPermutation(1000, 1)[1000]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new WindowPermutation(0, 1));
    }

    [Fact]
    public void Each_epoch_reads_every_aligned_window_once_in_a_new_order()
    {
        // 1,000 tokens, T = 10: 99 windows at 0, 10, …, 980 (the next would need token 1,001). B = 3: 33 batches an epoch.
        using var loader = DataLoader.Open(CountingShard("s.bin", 1000), "train", 3, 10, SamplingMode.Shuffled, seed: 4);
        var windows = Enumerable.Range(0, 99).Select(k => 10L * k).ToArray();
        var first = Starts(loader, 33);
        Assert.Equal(0, loader.Epochs[0]);
        var second = Starts(loader, 33);
        Assert.Equal(windows, first.Order());
        Assert.Equal(windows, second.Order());
        Assert.NotEqual(first, second);
        Assert.NotEqual(windows, first);
        Starts(loader, 1);
        Assert.Equal(2, loader.Epochs[0]);
    }

    [Fact]
    public void The_order_is_the_seeds_and_reads_the_same_windows_as_sequential()
    {
        string path = CountingShard("t.bin", 2000);
        using var a = DataLoader.Open(path, "train", 4, 16, SamplingMode.Shuffled, seed: 1);
        using var again = DataLoader.Open(path, "train", 4, 16, SamplingMode.Shuffled, seed: 1);
        using var other = DataLoader.Open(path, "train", 4, 16, SamplingMode.Shuffled, seed: 2);
        using var sequential = DataLoader.Open(path, "train", 4, 16, SamplingMode.Sequential, seed: 1);
        var order = Starts(a, 31); // (2000 − 1) / 16 = 124 windows = 31 batches
        Assert.Equal(order, Starts(again, 31));
        Assert.NotEqual(order, Starts(other, 31));
        Assert.Equal(Starts(sequential, 31), order.Order());
    }

    [Fact]
    public void Within_an_epoch_no_token_is_predicted_twice()
    {
        using var loader = DataLoader.Open(CountingShard("c.bin", 1000), "train", 2, 10, SamplingMode.Shuffled, seed: 9);
        var coverage = WindowCoverage.Replay(loader, 45); // 90 of the 99 windows
        Assert.Equal(new WindowCoverage(45, 900, 900, 1000), coverage);
    }

    [Fact]
    public void Each_dataset_of_a_mixture_has_its_own_epochs()
    {
        string big = CountingShard("big.bin", 3001), small = CountingShard("small.bin", 301); // 300 and 30 windows of T = 10
        using var loader = DataLoader.OpenMixture([(big, 0.5), (small, 0.5)], "train", 4, 10, SamplingMode.Shuffled, seed: 3);
        var x = new int[40]; var y = new int[40];
        var fromSmall = new List<long>();
        while (fromSmall.Count < 60)
        {
            loader.NextBatch(x, y);
            for (int b = 0; b < 4; b++) if (loader.RowSources[b] == 1) fromSmall.Add(loader.RowStarts[b]);
        }
        var windows = Enumerable.Range(0, 30).Select(k => 10L * k).ToArray();
        Assert.Equal(windows, fromSmall.Take(30).Order());
        Assert.Equal(windows, fromSmall.Skip(30).Take(30).Order());
        Assert.True(loader.Epochs[1] >= 1);
        Assert.Equal(0, loader.Epochs[0]);
    }

    [Fact]
    public void A_damaged_shuffled_state_is_refused()
    {
        string path = CountingShard("d.bin", 1000);
        using var loader = DataLoader.Open(path, "train", 2, 10, SamplingMode.Shuffled, seed: 1);
        Starts(loader, 3);
        var state = loader.SaveState();
        Assert.Matches("^[0-9a-f]{16}$", (string)state["shuffle_key"]!);

        var outside = JsonNode.Parse(state.ToJsonString())!.AsObject();
        outside["positions"] = new JsonArray(100); // 99 windows
        var noKey = JsonNode.Parse(state.ToJsonString())!.AsObject();
        noKey.Remove("shuffle_key");
        var badKey = JsonNode.Parse(state.ToJsonString())!.AsObject();
        badKey["shuffle_key"] = "not hex";
        using var fresh = DataLoader.Open(path, "train", 2, 10, SamplingMode.Shuffled, seed: 2); // another key than the state's
        foreach (var damaged in new[] { outside, noKey, badKey })
            Assert.Throws<InvalidDataException>(() => fresh.RestoreState(damaged));
        using var untouched = DataLoader.Open(path, "train", 2, 10, SamplingMode.Shuffled, seed: 2);
        Assert.Equal(Starts(untouched, 5), Starts(fresh, 5)); // a refused state changed nothing
    }
}
