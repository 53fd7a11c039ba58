using Eslm.Checkpoints;
using Eslm.Data;
using Eslm.Records;
using Eslm.Tests.Checkpoints;
using Eslm.Tests.Cli;
using Eslm.Tests.Reference;
using Xunit;
using Xunit.Abstractions;

namespace Eslm.Tests.Training;

/// <summary>Issue 14: the periodic validation's curve ends where the whole-split evaluation of the same model is.</summary>
public class ValidationSampleTrainingTests(ITestOutputHelper output)
{
    private const int B = 4, T = 32, K = 4; // a sample of n = K·B = 16 windows

    [Fact]
    public void The_last_periodic_validation_agrees_with_the_whole_split_within_its_sampling_error()
    {
        using var dir = new TempDir();
        Run("prepare", "--recipe", "builtin-noisy", "--val-fraction", "0.1", "--out", dir["data"]);
        Run("train", "--model", "tiny", "--data", dir["data"], "--batch", $"{B}", "--seq", $"{T}", "--steps", "40", "--warmup", "4",
            "--lr", "0.003", "--val-every", "20", "--val-batches", $"{K}", "--threads", "2", "--out", dir["run"]);
        var last = MetricsLine.ReadFile(Path.Combine(dir["run"], "metrics.jsonl")).OfType<ValidationMetrics>().Last();
        Assert.Equal(40, last.Step);

        // The final checkpoint over the whole split: per-window mean losses, and the mean over every target once.
        Blas.Ensure();
        using var model = Checkpoint.LoadModel(Checkpoint.FindLatestComplete(dir["run"])!);
        using var whole = DataLoader.OpenValidation(dir["data"], "val", B, T);
        long S = whole.SequenceCount, n = K * B;
        var windowMean = new double[S];
        double sum = 0, counted = 0;
        var x = new int[B * T]; var y = new int[B * T]; var w = new float[B * T];
        for (int i = 0; i < whole.BatchCount; i++)
        {
            whole.NextBatch(x, y, w);
            model.Forward(x, y, B, T);
            var losses = model.Losses;
            for (int b = 0; b < B; b++)
            {
                long k = (long)i * B + b;
                if (k >= S) break; // fill
                double row = 0;
                for (int t = 0; t < T; t++)
                {
                    row += losses[b * T + t];
                    sum += w[b * T + t] * losses[b * T + t];
                    counted += w[b * T + t];
                }
                windowMean[k] = row / T;
            }
        }
        double wholeMean = sum / counted;

        Assert.Equal(whole.SplitTargets, last.SplitTokens);
        Assert.Equal(n * T, last.Tokens);
        Assert.True(4 * n <= S, $"the sample ({n} of {S} windows) should be well below the split");
        // The periodic point is the mean over the fixed sample's windows (all full windows, none overlapping).
        double sampleMean = ValidationSample.Windows(S, n).Average(k => windowMean[k]);
        Assert.Equal(sampleMean, last.Loss, 1e-3);

        double mean = windowMean.Average();
        double sd = Math.Sqrt(windowMean.Sum(m => (m - mean) * (m - mean)) / (S - 1));
        double se = sd / Math.Sqrt(n) * Math.Sqrt(1 - (double)n / S);
        output.WriteLine($"S={S} n={n}: periodic {last.Loss:F4}, whole split {wholeMean:F4}, SE {se:F4}; the first n windows: {windowMean.Take((int)n).Average():F4}");
        Assert.True(Math.Abs(last.Loss - wholeMean) <= 4 * se,
            $"periodic validation {last.Loss:F4} vs whole split {wholeMean:F4}: off by more than 4 standard errors ({se:F4})");
    }

    private static void Run(params string[] args)
    {
        var r = CliHarness.Run(args);
        Assert.True(r.Code == 0, $"eslm {string.Join(' ', args)} failed ({r.Code}): {r.Err}");
    }
}
