using Eslm.Data;
using Eslm.Model;
using Eslm.Selection;

namespace Eslm.Evaluation;

/// <summary>Mean loss of one domain: token-weighted over the domain's evaluated predictions.</summary>
public sealed record DomainLoss(string Domain, double Loss, long Tokens, int Documents);

/// <summary>What <see cref="LossEvaluator"/> measured on one split.</summary>
public sealed record LossReport
{
    public required string Corpus { get; init; }
    /// <summary>Predictions evaluated (target tokens).</summary>
    public long Tokens { get; init; }
    /// <summary>Mean cross-entropy (nats) over all evaluated tokens; never selection.</summary>
    public double Loss { get; init; }
    public double Perplexity => Math.Exp(Loss);
    /// <summary>Σ loss / ln 2 / bytes of the evaluated text; NaN when the manifest has no byte counts.</summary>
    public double BitsPerByte { get; init; } = double.NaN;
    public required IReadOnlyList<DomainLoss> Domains { get; init; }
    public string WorstDomain { get; init; } = "";
    public double WorstDomainLoss { get; init; }
    /// <summary>CVaR₀.₉ of per-document mean loss: the mean over the worst 10% of documents (scores ≥ VaR₀.₉).</summary>
    public double DocumentCvar90 { get; init; }
    public int DocumentsEvaluated { get; init; }
}

/// <summary>
/// All-token evaluation over a whole validation split (deterministic: fixed windows, no sampling, no selection).
/// The stream is cut into windows of T+1 tokens that overlap by one (inputs x[iT..iT+T), targets x[iT+1..iT+T]),
/// B windows per forward; the last window is padded and only its real targets count (<see cref="TokenWindows"/> with
/// <see cref="WindowTail.Partial"/>). Per-token losses are attributed to
/// the document that holds the target token, giving per-domain loss, bits per byte and per-document CVaR.
/// </summary>
public static class LossEvaluator
{
    public const double CvarLevel = 0.9;

    /// <param name="maxTokens">Evaluate at most this many predictions from the start of the split (0 = all).</param>
    /// <param name="progress">(predictions done, predictions total) after every forward.</param>
    public static LossReport Evaluate(Gpt model, EvalCorpus corpus, int batchSize, int sequenceLength, long maxTokens = 0,
        Action<long, long>? progress = null)
    {
        int T = Math.Min(sequenceLength, model.Config.MaxSequenceLength), B = batchSize;
        if (T < 1 || B < 1) throw new ArgumentException($"evaluation needs B >= 1 and T >= 1 (got B={B}, T={T})");
        var tokens = corpus.Tokens;
        long total = Math.Max(0, tokens.Length - 1);
        if (maxTokens > 0) total = Math.Min(total, maxTokens);

        var docs = corpus.Documents;
        var docSum = new double[docs.Count];
        var docCount = new long[docs.Count];
        var inputs = new int[B * T];
        var targets = new int[B * T];
        var valid = new int[B];
        long done = 0;
        int doc = 0;
        double sum = 0;
        long windows = TokenWindows.Count(total, T);
        for (long first = 0; first < windows; first += B)
        {
            int rows = (int)Math.Min(B, windows - first);
            for (int r = 0; r < rows; r++)
            {
                var window = TokenWindows.Get(first + r, total, T, WindowTail.Partial);
                long start = window.Start;
                int n = window.Length;
                valid[r] = n;
                var row = inputs.AsSpan(r * T, T);
                var rowTargets = targets.AsSpan(r * T, T);
                for (int t = 0; t < T; t++)
                {
                    row[t] = t < n ? tokens[start + t] : 0;
                    rowTargets[t] = t < n ? tokens[start + t + 1] : 0;
                }
            }
            model.Forward(inputs.AsSpan(0, rows * T), targets.AsSpan(0, rows * T), rows, T);
            var losses = model.Losses;
            long position = done + 1; // stream index of the first target of this batch
            for (int r = 0; r < rows; r++)
                for (int t = 0; t < valid[r]; t++, position++)
                {
                    float loss = losses[r * T + t];
                    sum += loss;
                    while (doc < docs.Count - 1 && position >= docs[doc].Start + docs[doc].Length) doc++;
                    if (position >= docs[doc].Start && position < docs[doc].Start + docs[doc].Length)
                    {
                        docSum[doc] += loss;
                        docCount[doc]++;
                    }
                }
            for (int r = 0; r < rows; r++) done += valid[r];
            progress?.Invoke(done, total);
        }
        return Summarise(corpus, sum, done, docSum, docCount);
    }

    /// <summary>Per-domain, per-document and byte-level figures from per-document loss sums.</summary>
    internal static LossReport Summarise(EvalCorpus corpus, double sum, long count, double[] docSum, long[] docCount)
    {
        var docs = corpus.Documents;
        var domains = new SortedDictionary<string, (double Sum, long Tokens, int Docs)>(StringComparer.Ordinal);
        var perDocument = new List<float>();
        double bytes = 0;
        for (int i = 0; i < docs.Count; i++)
        {
            if (docCount[i] == 0) continue;
            var (s, n, d) = domains.GetValueOrDefault(docs[i].Domain);
            domains[docs[i].Domain] = (s + docSum[i], n + docCount[i], d + 1);
            perDocument.Add((float)(docSum[i] / docCount[i]));
            // The first token of a document has no prediction inside the document's own range only at the split's start.
            bytes += docs[i].Bytes * Math.Min(1.0, (double)docCount[i] / Math.Max(1, docs[i].Start == 0 ? docs[i].Length - 1 : docs[i].Length));
        }
        var domainLosses = domains.Select(kv => new DomainLoss(kv.Key, kv.Value.Sum / kv.Value.Tokens, kv.Value.Tokens, kv.Value.Docs)).ToList();
        var worst = domainLosses.OrderByDescending(d => d.Loss).ThenBy(d => d.Domain, StringComparer.Ordinal).FirstOrDefault();
        double cvar = perDocument.Count == 0 ? double.NaN
            : ValueAtRisk.ConditionalValueAtRisk(perDocument.ToArray(), CvarLevel, new float[perDocument.Count]);
        return new LossReport
        {
            Corpus = corpus.Name, Tokens = count, Loss = count == 0 ? double.NaN : sum / count,
            BitsPerByte = corpus.HasByteCounts && bytes > 0 ? sum / Math.Log(2) / bytes : double.NaN,
            Domains = domainLosses, WorstDomain = worst?.Domain ?? "", WorstDomainLoss = worst?.Loss ?? double.NaN,
            DocumentCvar90 = cvar, DocumentsEvaluated = perDocument.Count,
        };
    }
}
