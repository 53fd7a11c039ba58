using Eslm.Data;
using Eslm.Model;

namespace Eslm.Training;

/// <summary>
/// Computes Rho-1 reference losses for every token of a split once, over the T-aligned windows [kT, kT+T] (plus one
/// final window for the tail), B windows per forward. Position 0 has no prediction (NaN). See <see cref="ReferenceLossFile"/>.
/// </summary>
public static class ReferenceScorer
{
    public static float[] Score(Gpt reference, TokenSequence tokens, int window, int batchSize, Action<long>? progress = null)
    {
        long count = tokens.Count;
        if (count < 2) throw new InvalidDataException($"{tokens.Path}: split '{tokens.Split}' has {count} tokens, too few to score");
        int T = (int)Math.Min(window, count - 1);
        if (T > reference.Config.MaxSequenceLength)
            throw new ArgumentException($"window {T} exceeds the reference model's context of {reference.Config.MaxSequenceLength}");
        var losses = new float[count];
        losses[0] = float.NaN;
        // The windows of validation (the tail overlaps the previous window), so the sidecar lines up with them.
        var windows = new List<TokenWindow>();
        for (long k = 0; k < TokenWindows.Count(count - 1, T); k++) windows.Add(TokenWindows.Get(k, count - 1, T, WindowTail.Overlap));

        var row = new int[T + 1];
        var inputs = new int[batchSize * T];
        var targets = new int[batchSize * T];
        for (int first = 0; first < windows.Count; first += batchSize)
        {
            int b = Math.Min(batchSize, windows.Count - first);
            for (int i = 0; i < b; i++)
            {
                tokens.CopyTo(windows[first + i].Start, row);
                row.AsSpan(0, T).CopyTo(inputs.AsSpan(i * T, T));
                row.AsSpan(1, T).CopyTo(targets.AsSpan(i * T, T));
            }
            reference.Forward(inputs.AsSpan(0, b * T), targets.AsSpan(0, b * T), b, T);
            var batchLosses = reference.Losses;
            for (int i = 0; i < b; i++)
            {
                var w = windows[first + i];
                for (int t = 0; t < T; t++)
                {
                    // The tail window only fills what the aligned windows did not (their context is the documented one).
                    if (w.IsNew(t)) losses[w.Start + t + 1] = batchLosses[i * T + t];
                }
            }
            progress?.Invoke(Math.Min(count, (first + b) * (long)T));
        }
        return losses;
    }

    /// <summary>What one sidecar cost and held (printed by `eslm score`, logged by experiments).</summary>
    public sealed record SidecarSummary(long Tokens, double Seconds, double Flops, double MeanLoss);

    /// <summary>
    /// Scores a split with <paramref name="reference"/> and writes the sidecar <paramref name="outPath"/> (header: window,
    /// split, dataset, reference, its parameters, FLOPs, seconds, and the split's checksum that training checks it against).
    /// </summary>
    public static SidecarSummary WriteSidecar(Gpt reference, string referencePath, string dataPath, string split, int window, int batchSize,
        string outPath, Action<long>? progress = null)
    {
        using var tokens = TokenSequence.Open(dataPath, split);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var losses = Score(reference, tokens, window, batchSize, progress);
        double flops = 2.0 * reference.Config.ParameterCount * tokens.Count;
        ReferenceLossFile.Write(outPath, new System.Text.Json.Nodes.JsonObject
        {
            ["window"] = Math.Min(window, (int)Math.Min(int.MaxValue, tokens.Count - 1)), ["split"] = split, ["dataset"] = Path.GetFullPath(dataPath),
            ["reference"] = Path.GetFullPath(referencePath), ["reference_parameters"] = reference.Config.ParameterCount,
            ["flops"] = flops, ["seconds"] = clock.Elapsed.TotalSeconds,
            ["split_checksum"] = TokenChecksum.Of(tokens), // training checks the sidecar against its data with this
        }, losses);
        return new SidecarSummary(tokens.Count, clock.Elapsed.TotalSeconds, flops, losses.Skip(1).Average(x => (double)x));
    }
}
