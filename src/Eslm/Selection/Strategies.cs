using Eslm.Model;
using Eslm.Tensors;

namespace Eslm.Selection;

/// <summary>`clm`: every token, mean loss (the baseline).</summary>
public sealed class ClmStrategy(SelectionOptions options) : SelectionStrategy(options)
{
    public override string Name => "clm";
    public override double Alpha => 0;

    public override void Score(Gpt student, int[] inputs, int[] targets, int batchSize, int sequenceLength, Span<float> scores) =>
        scores.Clear();

    public override float Select(ReadOnlySpan<float> scores, Span<bool> keep, Span<float> scratch)
    {
        keep.Fill(true);
        return float.NaN;
    }
}

/// <summary>
/// `eslm` (arXiv 2505.19893): score = the student's per-token loss (default) or predictive entropy; keep score ≥ VaR_α.
/// With loss scores the kept-token mean is the empirical CVaR_α of the loss.
/// </summary>
public class EslmStrategy(SelectionOptions options) : SelectionStrategy(options)
{
    public override string Name => "eslm";

    public override void Score(Gpt student, int[] inputs, int[] targets, int batchSize, int sequenceLength, Span<float> scores)
    {
        var source = Options.Score == ScoreKind.Entropy ? student.Entropies : student.Losses;
        source[..scores.Length].CopyTo(scores);
    }
}

/// <summary>`bottomk`: the sanity control that keeps the *lowest* scores (VaR rule applied to −score).</summary>
public sealed class BottomKStrategy(SelectionOptions options) : EslmStrategy(options)
{
    public override string Name => "bottomk";

    public override void Score(Gpt student, int[] inputs, int[] targets, int batchSize, int sequenceLength, Span<float> scores)
    {
        base.Score(student, inputs, targets, batchSize, sequenceLength, scores);
        for (int i = 0; i < scores.Length; i++) scores[i] = -scores[i];
    }
}

/// <summary>`random`: a uniformly random ⌈keep·M⌉ tokens of each scope, from a seeded stream saved in checkpoints.</summary>
public sealed class RandomStrategy(SelectionOptions options) : SelectionStrategy(options)
{
    private Rng _rng = new(options.Seed);
    private int[] _order = [];

    public override string Name => "random";
    public override double Alpha => 1 - Options.Keep;

    public override void Score(Gpt student, int[] inputs, int[] targets, int batchSize, int sequenceLength, Span<float> scores) =>
        scores.Clear();

    public override float Select(ReadOnlySpan<float> scores, Span<bool> keep, Span<float> scratch)
    {
        int m = scores.Length;
        int count = Math.Clamp((int)Math.Ceiling(Options.Keep * m - 1e-9 * m), 1, m);
        if (count == m) { keep.Fill(true); return float.NaN; }
        if (_order.Length < m) _order = new int[m];
        for (int i = 0; i < m; i++) _order[i] = i;
        keep[..m].Clear();
        for (int i = 0; i < count; i++) // partial Fisher–Yates: the first `count` positions are a uniform sample
        {
            int j = i + _rng.NextInt(m - i);
            (_order[i], _order[j]) = (_order[j], _order[i]);
            keep[_order[i]] = true;
        }
        return float.NaN;
    }

    public override System.Text.Json.Nodes.JsonObject SaveState() => new() { ["rng"] = _rng.State };

    public override void RestoreState(System.Text.Json.Nodes.JsonObject state)
    {
        if (state["rng"] is System.Text.Json.Nodes.JsonValue rng) _rng = Rng.FromState(rng.GetValue<string>());
    }
}
