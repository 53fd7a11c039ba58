using Eslm.Model;
using Eslm.Selection;

namespace Eslm.Training;

/// <summary>Per-token results of scoring one text with a strategy: predictions 1..n of the text's n + 1 tokens.</summary>
public sealed record ScoredText(float[] Scores, float[] Losses, float[] Entropies, bool[] Kept);

/// <summary>
/// What a strategy keeps on a text (for `eslm show-selection`): the text is cut into windows of the model's context,
/// every window is forwarded and scored like a training micro-batch (auxiliary models included), and one selection runs
/// over all scores (micro-batch scope; per window for sequence scope).
/// </summary>
public static class TextSelection
{
    /// <param name="tokens">The text's token ids (a leading &lt;|endoftext|&gt; gives the first word a prediction).</param>
    public static ScoredText Score(Gpt model, TokenSelector selector, int[] tokens, Func<string, Gpt>? loadModel = null, int sequenceLength = 0)
    {
        if (sequenceLength < 0 || sequenceLength > model.Config.MaxSequenceLength) // never clamped: the caller asked for another window
            throw new ArgumentOutOfRangeException(nameof(sequenceLength), sequenceLength, $"the window must be in [1, {model.Config.MaxSequenceLength}] (0: the context)");
        int T = sequenceLength > 0 ? sequenceLength : model.Config.MaxSequenceLength;
        if (tokens.Length < 2) throw new ArgumentException("the text needs at least one token after the first");
        using var auxiliary = new AuxiliaryModels(selector.Needs, model, loadModel);
        int n = tokens.Length - 1;
        var result = new ScoredText(new float[n], new float[n], new float[n], new bool[n]);
        var windows = new List<(int Start, int Length)>();
        for (int start = 0; start < n; start += T)
        {
            int len = Math.Min(T, n - start);
            windows.Add((start, len));
            var inputs = tokens[start..(start + len)];
            var targets = tokens[(start + 1)..(start + len + 1)];
            auxiliary.BeforeStudentForward(inputs, targets, 1, len);
            model.Forward(inputs, targets, 1, len);
            var stats = auxiliary.Stats(len, len);
            stats.Loss.CopyTo(result.Losses.AsSpan(start, len));
            stats.Entropy.CopyTo(result.Entropies.AsSpan(start, len));
            selector.Score(stats, result.Scores.AsSpan(start, len));
        }
        SelectOverWindows(selector, result.Scores, result.Kept, windows);
        return result;
    }

    /// <summary>
    /// One selection over all <paramref name="scores"/> like a single training micro-batch, or one per window for sequence
    /// scope (step and global scope have only this one micro-batch here, so they equal micro-batch scope).
    /// </summary>
    internal static void SelectOverWindows(TokenSelector selector, Span<float> scores, Span<bool> kept, IEnumerable<(int Start, int Length)> windows)
    {
        var valueAtRisk = new LocalValueAtRisk();
        if (selector.Options.Scope == SelectionScope.Sequence)
            foreach (var (start, len) in windows) selector.Select(scores.Slice(start, len), kept.Slice(start, len), valueAtRisk);
        else selector.Select(scores, kept, valueAtRisk);
    }
}
