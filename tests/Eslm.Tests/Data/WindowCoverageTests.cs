using Eslm.Data;
using Eslm.Model;
using Eslm.Training;
using Eslm.Tests.Cli;
using Xunit;

namespace Eslm.Tests.Data;

public class WindowCoverageTests : DataTestBase
{
    [Fact]
    public void Sequential_windows_repeat_nothing_within_an_epoch_and_everything_after_it()
    {
        // 1,000 tokens, T = 10: windows start at 0, 10, …, 980 (99 windows; the next would need token 1,001), targets 1 … 990.
        using var loader = DataLoader.Open(CountingShard("seq.bin", 1000), "train", 2, 10, SamplingMode.Sequential);
        var first = WindowCoverage.Replay(loader, 45);
        Assert.Equal(new WindowCoverage(45, 900, 900, 1000), first);
        Assert.Equal(0.0, first.RepeatFraction);
        Assert.Equal(0.9, first.Epochs, 1e-12);

        using var again = DataLoader.Open(CountingShard("seq2.bin", 1000), "train", 2, 10, SamplingMode.Sequential);
        var wrapped = WindowCoverage.Replay(again, 60); // 120 windows: 99, then 21 from the start again
        Assert.Equal(1200, wrapped.TokensRead);
        Assert.Equal(990, wrapped.DistinctTokens);
        Assert.Equal(1 - 990.0 / 1200, wrapped.RepeatFraction, 1e-12);
    }

    [Fact]
    public void Random_windows_are_counted_exactly_per_dataset_of_a_mixture()
    {
        string a = CountingShard("a.bin", 3000), b = CountingShard("b.bin", 500);
        using var replayed = DataLoader.OpenMixture([(a, 0.5), (b, 0.5)], "train", 4, 16, SamplingMode.Random, seed: 7);
        var coverage = WindowCoverage.Replay(replayed, 40);

        // The same stream drawn again, its target positions collected by brute force: (dataset, position) pairs.
        using var loader = DataLoader.OpenMixture([(a, 0.5), (b, 0.5)], "train", 4, 16, SamplingMode.Random, seed: 7);
        var x = new int[64];
        var y = new int[64];
        var seen = new HashSet<(int, long)>();
        for (int i = 0; i < 40; i++)
        {
            loader.NextBatch(x, y);
            for (int r = 0; r < 4; r++)
                for (long p = loader.RowStarts[r] + 1; p <= loader.RowStarts[r] + 16; p++) seen.Add((loader.RowSources[r], p));
        }
        Assert.Equal(40 * 4 * 16, coverage.TokensRead);
        Assert.Equal(seen.Count, coverage.DistinctTokens);
        Assert.Equal(3500, coverage.SplitTokens);
        Assert.InRange(coverage.RepeatFraction, 0.01, 0.99); // the small second dataset is read several times over
        Assert.True(seen.Any(s => s.Item1 == 1) && seen.Any(s => s.Item1 == 0));
    }

    [Fact]
    public void The_dev_command_replays_a_run_folder_from_its_run_json_and_metrics()
    {
        string data = CountingShard("run-data.bin", 4000);
        string run = Path.Combine(Dir, "run");
        Directory.CreateDirectory(run);
        var record = new RunRecord
        {
            ModelName = "tiny", Model = GptConfig.FromPreset("tiny"), Data = data,
            Train = new TrainOptions { BatchSize = 3, SequenceLength = 8, GradientAccumulation = 2, Seed = 5, Sampling = SamplingMode.Random },
        };
        File.WriteAllText(Path.Combine(run, RunRecord.FileName), record.ToFileText(null));
        File.WriteAllLines(Path.Combine(run, "metrics.jsonl"), Enumerable.Range(0, 7).Select(s => $$"""{"type":"train","step":{{s}},"loss":5}""")
            .Append("""{"type":"val","step":7,"loss":5}"""));

        var r = CliHarness.Run("dev-data-coverage", run);

        Assert.Equal(0, r.Code);
        using var loader = DataLoader.Open(data, "train", 3, 8, SamplingMode.Random, seed: 5);
        var expected = WindowCoverage.Replay(loader, 14); // 7 steps × 2 micro-batches
        Assert.Contains("7 steps × 2 × 3 × 8: 336 tokens read of 4,000 (0.084 epochs, random windows)", r.Out);
        Assert.Contains(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{expected.DistinctTokens:N0} distinct: {100 * expected.RepeatFraction:F2}% of reads repeat"), r.Out);

        // --steps replays a longer run of the same data order: its first 14 batches are the ones above.
        var longer = CliHarness.Run("dev-data-coverage", run, "--steps", "500");
        Assert.Equal(0, longer.Code);
        Assert.Contains("500 steps × 2 × 3 × 8: 24,000 tokens read of 4,000 (6.000 epochs, random windows)", longer.Out);
        Assert.Equal(2, CliHarness.Run("dev-data-coverage", run, "--steps", "-1").Code);
    }

    [Fact]
    public void The_dev_command_names_a_folder_without_run_json()
    {
        var r = CliHarness.Run("dev-data-coverage", Dir);
        CliHarness.AssertOneLineError(r, 1, Path.Combine(Dir, "run.json"), "not found");
    }
}
