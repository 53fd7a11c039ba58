namespace Eslm.Data;

/// <summary>
/// How much of a training split a run read, replayed exactly from its data order (same loader, seed and batch shape): every
/// predicted token (the targets, positions start+1 … start+T of each window) counted once per read and once per distinct
/// position. Random sampling (nanoGPT's get_batch) draws windows with replacement, so windows can overlap long before an
/// epoch is read; this says how often they did, rather than an expectation.
/// </summary>
/// <param name="Batches">Batches replayed (optimizer steps × gradient-accumulation micro-steps).</param>
/// <param name="TokensRead">Predicted tokens over all windows (batches × B × T).</param>
/// <param name="DistinctTokens">Distinct (dataset, position) pairs among them.</param>
/// <param name="SplitTokens">Tokens in the split (all datasets of a mixture).</param>
public sealed record WindowCoverage(long Batches, long TokensRead, long DistinctTokens, long SplitTokens)
{
    /// <summary>Tokens read over the split's size: passes over the data, were it read without overlap.</summary>
    public double Epochs => SplitTokens == 0 ? 0 : (double)TokensRead / SplitTokens;

    /// <summary>The fraction of reads that repeat a token an earlier window of the run already predicted.</summary>
    public double RepeatFraction => TokensRead == 0 ? 0 : 1.0 - (double)DistinctTokens / TokensRead;

    /// <summary>Draws <paramref name="batches"/> batches from <paramref name="loader"/> (advancing it) and counts what they read.</summary>
    public static WindowCoverage Replay(DataLoader loader, long batches)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batches);
        int B = loader.BatchSize, T = loader.SequenceLength;
        if (loader.Sources.FirstOrDefault(s => s.Count > int.MaxValue) is { } huge)
            throw new NotSupportedException($"{huge.Path}: more than 2^31 tokens; the coverage replay holds one bit per token in one array");
        var seen = loader.Sources.Select(s => new System.Collections.BitArray((int)s.Count)).ToArray();
        var inputs = new int[B * T];
        var targets = new int[B * T];
        long distinct = 0;
        for (long i = 0; i < batches; i++)
        {
            loader.NextBatch(inputs, targets);
            for (int b = 0; b < B; b++)
            {
                var bits = seen[loader.RowSources[b]];
                int start = (int)loader.RowStarts[b];
                for (int p = start + 1; p <= start + T; p++)
                    if (!bits[p]) { bits[p] = true; distinct++; }
            }
        }
        return new WindowCoverage(batches, batches * B * T, distinct, loader.Sources.Sum(s => s.Count));
    }
}
