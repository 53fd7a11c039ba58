using Eslm.Data;
using Eslm.Model;
using Eslm.Selection;

namespace Eslm.Training;

/// <summary>How two models' kept-token sets compare on one batch of M tokens.</summary>
public sealed record OverlapBatch(int Tokens, int KeptA, int KeptB, int KeptBoth)
{
    /// <summary>|A ∩ B| / |A ∪ B| (1 when both keep nothing).</summary>
    public double Jaccard => KeptA + KeptB - KeptBoth == 0 ? 1 : (double)KeptBoth / (KeptA + KeptB - KeptBoth);

    /// <summary>Fraction of tokens on which both models decide the same (both keep or both drop).</summary>
    public double Agreement => Tokens == 0 ? 1 : (double)(Tokens - KeptA - KeptB + 2 * KeptBoth) / Tokens;
}

/// <summary>The per-batch comparisons and their token-weighted totals.</summary>
public sealed record OverlapResult(IReadOnlyList<OverlapBatch> Batches)
{
    public OverlapBatch Total => new(Batches.Sum(b => b.Tokens), Batches.Sum(b => b.KeptA), Batches.Sum(b => b.KeptB), Batches.Sum(b => b.KeptBoth));

    /// <summary>
    /// The Jaccard index two independent masks with the same kept fractions would reach by chance:
    /// E|A∩B| = a·b·M, so J = ab / (a + b − ab) with a, b the kept fractions.
    /// </summary>
    public double ChanceJaccard
    {
        get
        {
            var t = Total;
            if (t.Tokens == 0) return double.NaN;
            double a = (double)t.KeptA / t.Tokens, b = (double)t.KeptB / t.Tokens;
            return a + b - a * b == 0 ? 1 : a * b / (a + b - a * b);
        }
    }
}

/// <summary>
/// Which tokens two models keep on the same batches (issue 15: fp32 vs bf16 runs of one seed). Each batch is B aligned
/// T-token windows of a split, read in order from the start; each model forwards it (in its own precision) and scores
/// it like a training micro-batch, and its selector picks the kept set over the batch (per window for sequence scope).
/// </summary>
public static class SelectionOverlap
{
    /// <param name="selectorA">Selector of model A; <paramref name="selectorB"/> must be a separate instance with the same options (the random strategy's stream is per instance).</param>
    public static OverlapResult Measure(Gpt modelA, TokenSelector selectorA, Gpt modelB, TokenSelector selectorB, TokenSequence tokens,
        int batchSize, int sequenceLength, int batches, Func<string, Gpt>? loadModel = null)
    {
        int B = batchSize, T = sequenceLength, M = B * T;
        if (B < 1 || T < 1 || batches < 1) throw new ArgumentException($"batch, seq and batches must be >= 1 (got {B}, {T}, {batches})");
        foreach (var m in new[] { modelA, modelB })
            if (T > m.Config.MaxSequenceLength) throw new ArgumentException($"--seq {T} exceeds a model's context of {m.Config.MaxSequenceLength}");
        if (modelA.Config.VocabSize != modelB.Config.VocabSize)
            throw new ArgumentException($"the models' vocabularies differ ({modelA.Config.VocabSize} vs {modelB.Config.VocabSize})");
        long available = (tokens.Count - 1) / T / B;
        if (available < batches)
            throw new ArgumentException($"{tokens.Path}: {tokens.Count:N0} tokens hold {available} batches of {B}×{T} (+1) tokens, fewer than the {batches} asked for");

        using var auxA = new AuxiliaryModels(selectorA.Needs, modelA, loadModel);
        using var auxB = new AuxiliaryModels(selectorB.Needs, modelB, loadModel);
        var window = new int[M + 1];
        int[] inputs = new int[M], targets = new int[M];
        float[] scores = new float[M];
        bool[] keptA = new bool[M], keptB = new bool[M];
        var result = new List<OverlapBatch>();
        for (int k = 0; k < batches; k++)
        {
            for (int b = 0; b < B; b++)
            {
                tokens.CopyTo(((long)k * B + b) * T, window.AsSpan(0, T + 1));
                window.AsSpan(0, T).CopyTo(inputs.AsSpan(b * T, T));
                window.AsSpan(1, T).CopyTo(targets.AsSpan(b * T, T));
            }
            Select(modelA, selectorA, auxA, inputs, targets, B, T, scores, keptA);
            Select(modelB, selectorB, auxB, inputs, targets, B, T, scores, keptB);
            int a = 0, bCount = 0, both = 0;
            for (int i = 0; i < M; i++)
            {
                if (keptA[i]) a++;
                if (keptB[i]) bCount++;
                if (keptA[i] && keptB[i]) both++;
            }
            result.Add(new OverlapBatch(M, a, bCount, both));
        }
        return new OverlapResult(result);
    }

    private static void Select(Gpt model, TokenSelector selector, AuxiliaryModels auxiliary, int[] inputs, int[] targets, int B, int T,
        float[] scores, bool[] kept)
    {
        int M = B * T;
        auxiliary.BeforeStudentForward(inputs, targets, B, T);
        model.Forward(inputs, targets, B, T);
        selector.Score(auxiliary.Stats(M, T), scores);
        TextSelection.SelectOverWindows(selector, scores, kept, Enumerable.Range(0, B).Select(b => (b * T, T)));
    }
}
