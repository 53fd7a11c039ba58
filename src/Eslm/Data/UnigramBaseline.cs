namespace Eslm.Data;

/// <summary>
/// The loss of a model that ignores context: each token's probability is its frequency in the training split (add-one
/// smoothed over the vocabulary, so a token the training split lacks still has a finite loss). A language model's loss
/// below this is what it learned beyond token frequencies, the first thing every model learns; a study reports it to say
/// which phase of training its budgets reach.
/// </summary>
public static class UnigramBaseline
{
    /// <summary>Mean −ln p(token) over every token of <paramref name="evaluated"/>, in nats, with p from <paramref name="train"/>'s counts.</summary>
    public static double CrossEntropy(TokenSequence train, TokenSequence evaluated, int vocabulary)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabulary, 1);
        var counts = new long[vocabulary];
        Count(train, counts);
        var evaluatedCounts = new long[vocabulary];
        Count(evaluated, evaluatedCounts);
        if (evaluated.Count == 0) throw new InvalidDataException($"{evaluated.Path}: split '{evaluated.Split}' has no tokens to evaluate");
        double total = train.Count + (double)vocabulary, sum = 0;
        for (int id = 0; id < vocabulary; id++)
            if (evaluatedCounts[id] > 0) sum += evaluatedCounts[id] * -Math.Log((counts[id] + 1) / total);
        return sum / evaluated.Count;
    }

    private static void Count(TokenSequence tokens, long[] counts)
    {
        var chunk = new int[1 << 16];
        for (long start = 0; start < tokens.Count; start += chunk.Length)
        {
            int n = (int)Math.Min(chunk.Length, tokens.Count - start);
            tokens.CopyTo(start, chunk.AsSpan(0, n));
            foreach (int id in chunk.AsSpan(0, n))
            {
                if ((uint)id >= (uint)counts.Length)
                    throw new InvalidDataException($"{tokens.Path}: token id {id} in split '{tokens.Split}' is outside the vocabulary of {counts.Length}");
                counts[id]++;
            }
        }
    }
}
