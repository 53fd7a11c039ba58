using System.Text;
using Eslm.Model;
using Eslm.Records;
using Eslm.Selection;

namespace Eslm.Evaluation;

/// <summary>
/// What a strategy keeps on a text: the text is cut into windows of the model's context, every window is forwarded and
/// scored like a training micro-batch, and one selection runs over all scores (micro-batch scope; per window for sequence
/// scope). The selection page (Eslm.Reporting) renders the result.
/// </summary>
public static class SelectionScoring
{
    /// <param name="tokens">The text's token ids (a leading &lt;|endoftext|&gt; gives the first word a prediction).</param>
    /// <param name="tokenBytes">Token id → its UTF-8 bytes (characters split across tokens appear with the token that completes them).</param>
    public static List<ScoredToken> Score(Gpt model, SelectionStrategy strategy, int[] tokens, Func<int, byte[]> tokenBytes, int sequenceLength = 0)
    {
        int T = sequenceLength > 0 ? Math.Min(sequenceLength, model.Config.MaxSequenceLength) : model.Config.MaxSequenceLength;
        if (tokens.Length < 2) throw new ArgumentException("the text needs at least one token after the first");
        strategy.Attach(model);
        int n = tokens.Length - 1;
        var scores = new float[n]; var losses = new float[n]; var entropies = new float[n];
        var windows = new List<(int Start, int Length)>();
        for (int start = 0; start < n; start += T)
        {
            int len = Math.Min(T, n - start);
            windows.Add((start, len));
            var inputs = tokens[start..(start + len)];
            var targets = tokens[(start + 1)..(start + len + 1)];
            strategy.BeforeStudentForward(inputs, targets, 1, len);
            model.Forward(inputs, targets, 1, len);
            model.Losses.CopyTo(losses.AsSpan(start, len));
            model.Entropies.CopyTo(entropies.AsSpan(start, len));
            strategy.Score(model, inputs, targets, 1, len, scores.AsSpan(start, len));
        }
        var keep = new bool[n];
        var scratch = new float[n];
        if (strategy.Options.Scope == SelectionScope.Sequence)
            foreach (var (start, len) in windows) strategy.Select(scores.AsSpan(start, len), keep.AsSpan(start, len), scratch);
        else strategy.Select(scores, keep, scratch);

        var decoder = new UTF8Encoding(false).GetDecoder();
        var result = new List<ScoredToken>(n);
        var chars = new char[64];
        for (int i = 0; i < n; i++)
        {
            var bytes = tokenBytes(tokens[i + 1]);
            if (chars.Length < bytes.Length + 8) chars = new char[bytes.Length + 8];
            int count = decoder.GetChars(bytes, 0, bytes.Length, chars, 0, flush: false);
            result.Add(new ScoredToken(new string(chars, 0, count), scores[i], losses[i], entropies[i], keep[i]));
        }
        return result;
    }
}
