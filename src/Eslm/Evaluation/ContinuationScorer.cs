using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Eslm.Model;

namespace Eslm.Evaluation;

/// <summary>A context and a continuation, both as token ids; the continuation's log-likelihood given the context is scored.</summary>
public sealed record ContinuationRequest(int[] Context, int[] Continuation);

/// <summary>
/// Σ log p(continuation token | everything before it) in nats, its token count, whether greedy decoding reproduces every
/// token, and the rank of the continuation's first token among the whole vocabulary at its position (1 = the argmax):
/// 1 + the number of ids the model gives a strictly larger probability. Ids whose float32 probability equals the token's
/// (exact ties, or both underflowing to 0 some 87–103 nats under the top) do not count against it.
/// </summary>
public sealed record ContinuationScore(double LogLikelihood, int Tokens, bool Greedy, int FirstTokenRank);

/// <summary>
/// Forward-only scoring of many (context, continuation) pairs, batched: requests are sorted by length into buckets of
/// equal padded length (multiples of 16, so one model's activations are reused), B per forward. Padding sits after the
/// real tokens, so causal attention keeps it from changing any scored position. Contexts too long for the window (the
/// training window, as the loss evaluation uses: later positions were never trained) lose their oldest tokens. Results
/// are independent of the batch size (each row is computed on its own).
/// </summary>
public static unsafe class ContinuationScorer
{
    public const int Bucket = 16;

    /// <param name="emptyContextToken">Token put before a continuation whose context is empty (GPT-2: &lt;|endoftext|&gt;).</param>
    /// <param name="progress">(requests done, requests total) after every forward.</param>
    /// <param name="window">Longest sequence a forward sees (null: the model's context).</param>
    public static ContinuationScore[] Score(Gpt model, IReadOnlyList<ContinuationRequest> requests, int batchSize,
        Action<int, int>? progress = null, int emptyContextToken = 50256, int? window = null)
    {
        var cfg = model.Config;
        int maxT = window ?? cfg.MaxSequenceLength, V = cfg.VocabSize, Vp = cfg.Vp;
        if (maxT < 1 || maxT > cfg.MaxSequenceLength)
            throw new ArgumentOutOfRangeException(nameof(window), $"window {maxT} must be between 1 and the model's context of {cfg.MaxSequenceLength}");
        if (emptyContextToken >= V) emptyContextToken = V - 1;
        var sequences = new int[requests.Count][];
        var scoredFrom = new int[requests.Count]; // index into the target row of the first continuation token
        var order = new int[requests.Count];
        for (int i = 0; i < requests.Count; i++)
        {
            var (context, continuation) = (requests[i].Context, requests[i].Continuation);
            if (continuation.Length == 0) throw new ArgumentException($"request {i}: empty continuation");
            if (continuation.Length > maxT) throw new ArgumentException($"request {i}: continuation of {continuation.Length} tokens exceeds the window of {maxT}");
            if (context.Length == 0) context = [emptyContextToken];
            var all = context.Concat(continuation).ToArray();
            int drop = Math.Max(0, all.Length - 1 - maxT);
            sequences[i] = all[drop..];
            scoredFrom[i] = context.Length - 1 - drop;
            order[i] = i;
        }
        int Padded(int i) => Math.Min(maxT, (sequences[i].Length - 1 + Bucket - 1) / Bucket * Bucket);
        Array.Sort(order, (a, b) => Padded(a) != Padded(b) ? Padded(a).CompareTo(Padded(b)) : a.CompareTo(b));

        var results = new ContinuationScore[requests.Count];
        int done = 0;
        int[] inputs = [], targets = [];
        for (int at = 0; at < order.Length;)
        {
            int T = Padded(order[at]), rows = 0;
            while (rows < batchSize && at + rows < order.Length && Padded(order[at + rows]) == T) rows++;
            if (inputs.Length < rows * T) { inputs = new int[batchSize * T]; targets = new int[batchSize * T]; }
            for (int r = 0; r < rows; r++)
            {
                var s = sequences[order[at + r]];
                for (int t = 0; t < T; t++)
                {
                    inputs[r * T + t] = t < s.Length - 1 ? s[t] : 0;
                    targets[r * T + t] = t < s.Length - 1 ? s[t + 1] : 0;
                }
            }
            model.Forward(inputs.AsSpan(0, rows * T), targets.AsSpan(0, rows * T), rows, T);
            var losses = model.Losses;
            float* logits = model.Activations.Pointer("logits"); // exp(x − max) per row after the fused cross-entropy: same argmax
            for (int r = 0; r < rows; r++)
            {
                int i = order[at + r];
                var s = sequences[i];
                double ll = 0; bool greedy = true;
                int rank = 0;
                for (int t = scoredFrom[i]; t < s.Length - 1; t++)
                {
                    ll -= losses[r * T + t];
                    var row = new ReadOnlySpan<float>(logits + (long)(r * T + t) * Vp, V);
                    int best = TensorPrimitives.IndexOfMax(row);
                    if (best != s[t + 1]) greedy = false;
                    if (t == scoredFrom[i]) rank = 1 + CountGreater(row, row[s[t + 1]]);
                }
                results[i] = new ContinuationScore(ll, s.Length - 1 - scoredFrom[i], greedy, rank);
            }
            at += rows;
            done += rows;
            progress?.Invoke(done, order.Length);
        }
        return results;
    }

    /// <summary>
    /// How many values are strictly greater than <paramref name="threshold"/>: one vectorised pass. exp(x − max) keeps the
    /// logits' order, so on a row of the fused cross-entropy's output it counts the larger logits (float ties aside).
    /// </summary>
    public static int CountGreater(ReadOnlySpan<float> values, float threshold)
    {
        // A true comparison lane is all ones (−1 as an integer): subtracting the masks counts per lane.
        var limit = Vector256.Create(threshold);
        var lanes = Vector256<int>.Zero;
        ref float start = ref MemoryMarshal.GetReference(values);
        int v = 0;
        for (; v + Vector256<float>.Count <= values.Length; v += Vector256<float>.Count)
            lanes -= Vector256.GreaterThan(Vector256.LoadUnsafe(ref start, (nuint)v), limit).AsInt32();
        int count = Vector256.Sum(lanes);
        for (; v < values.Length; v++) if (values[v] > threshold) count++;
        return count;
    }
}
