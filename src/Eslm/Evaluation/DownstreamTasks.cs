using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Eslm.Model;
using Eslm.Tensors;

namespace Eslm.Evaluation;

/// <summary>A HellaSwag-style item: a context, candidate endings, and the index of the right one.</summary>
public sealed record MultipleChoiceItem(string Context, IReadOnlyList<string> Endings, int Label);

/// <summary>A LAMBADA-style item: a passage without its last word, and that word (with its leading space).</summary>
public sealed record ClozeItem(string Context, string Target);

/// <summary>acc: argmax of Σ log-likelihood; acc_norm: argmax of Σ log-likelihood / characters of the ending (lm-eval's definition).</summary>
public sealed record MultipleChoiceResult(int Items, double Accuracy, double AccuracyNormalized);

/// <summary>
/// A cloze task's figures (docs/experiments.md). Accuracy: greedy decoding reproduces every token of the target;
/// perplexity: exp(−Σ log p / target tokens). Small models score 0 accuracy, so three graded figures go with it:
/// TargetLogProb, the mean over items of Σ log p(target tokens) in nats; TargetRank, the median over items of the rank
/// of the target's first token among the whole vocabulary (1 = argmax); ChoiceAccuracy, how often the target beats
/// <see cref="ChoiceCandidates"/> − 1 distractors (other items' targets) on summed log-likelihood — NaN when the file
/// has fewer than <see cref="ChoiceCandidates"/> distinct targets.
/// </summary>
public sealed record ClozeResult(int Items, double Accuracy, double TargetPerplexity, double TargetLogProb, double TargetRank, double ChoiceAccuracy)
{
    /// <summary>Candidates per item of the choice figure: the target and three distractors (chance 1/4).</summary>
    public const int ChoiceCandidates = 4;
}

/// <summary>Zero-shot downstream tasks: reading the JSONL formats and scoring them with <see cref="ContinuationScorer"/>.</summary>
public static partial class DownstreamTasks
{
    /// <summary>
    /// Reads HellaSwag JSONL: <c>ctx</c> (or <c>ctx_a</c> + " " + capitalised <c>ctx_b</c>), <c>endings</c> (≥ 2), <c>label</c>
    /// (int or string). Like lm-eval, strips WikiHow's bracketed markers (" [title]" becomes ". ") and double spaces.
    /// </summary>
    public static List<MultipleChoiceItem> LoadMultipleChoice(string path)
    {
        var items = new List<MultipleChoiceItem>();
        foreach (var (node, line) in ReadJsonLines(path))
        {
            string context;
            if (node["ctx_a"] is not null)
            {
                string b = (string?)node["ctx_b"] ?? "";
                context = ((string?)node["ctx_a"] ?? "") + " " + (b.Length > 0 ? char.ToUpperInvariant(b[0]) + b[1..] : "");
            }
            else context = (string?)node["ctx"] ?? throw new InvalidDataException($"{path}:{line}: no \"ctx\" (or \"ctx_a\"/\"ctx_b\")");
            var endings = (node["endings"] as JsonArray)?.Select((e, k) => Ending(e, k, $"{path}:{line}")).ToList()
                          ?? throw new InvalidDataException($"{path}:{line}: no \"endings\" array");
            var labelNode = node["label"] ?? throw new InvalidDataException($"{path}:{line}: no \"label\"");
            int label = labelNode.GetValueKind() switch
            {
                JsonValueKind.String when int.TryParse((string)labelNode!, NumberStyles.Integer, CultureInfo.InvariantCulture, out int l) => l,
                JsonValueKind.Number when labelNode.AsValue().TryGetValue(out int l) => l,
                _ => throw new InvalidDataException($"{path}:{line}: \"label\" must be an integer (got {labelNode.ToJsonString()})"),
            };
            if (endings.Count < 2 || label < 0 || label >= endings.Count)
                throw new InvalidDataException($"{path}:{line}: need >= 2 endings and a label among them (got {endings.Count} endings, label {label})");
            items.Add(new MultipleChoiceItem(Preprocess(context), endings, label));
        }
        return NotEmpty(items, path);
    }

    /// <summary>
    /// One ending, preprocessed; an empty one is refused as cloze refuses an empty target: it would be scored as a lone
    /// space, so an item whose label points at it measures nothing.
    /// </summary>
    private static string Ending(JsonNode? node, int k, string where)
    {
        if (node is not JsonValue value || !value.TryGetValue(out string? text))
            throw new InvalidDataException($"{where}: ending {k + 1} is not a string");
        string ending = Preprocess(text);
        return ending.Length > 0 ? ending : throw new InvalidDataException($"{where}: ending {k + 1} is empty");
    }

    /// <summary>Reads cloze JSONL: <c>context</c> and <c>target</c> (the last word, normally with its leading space).</summary>
    public static List<ClozeItem> LoadCloze(string path)
    {
        var items = new List<ClozeItem>();
        foreach (var (node, line) in ReadJsonLines(path))
        {
            string context = (string?)node["context"] ?? throw new InvalidDataException($"{path}:{line}: no \"context\"");
            string target = (string?)node["target"] ?? throw new InvalidDataException($"{path}:{line}: no \"target\"");
            if (target.Length == 0) throw new InvalidDataException($"{path}:{line}: empty \"target\"");
            items.Add(new ClozeItem(context, target));
        }
        return NotEmpty(items, path);
    }

    /// <summary>Scores every ending after " " (lm-eval's target delimiter) and picks the argmax of the raw and per-character sums.</summary>
    public static MultipleChoiceResult EvaluateMultipleChoice(Gpt model, IReadOnlyList<MultipleChoiceItem> items, Func<string, int[]> encode,
        int batchSize = 8, Action<int, int>? progress = null, int? window = null)
    {
        var requests = new List<ContinuationRequest>();
        foreach (var item in items)
        {
            var context = encode(item.Context);
            foreach (var ending in item.Endings) requests.Add(new ContinuationRequest(context, encode(" " + ending)));
        }
        var scores = ContinuationScorer.Score(model, requests, batchSize, progress, window: window);
        var loglikelihoods = new List<double[]>();
        int at = 0;
        foreach (var item in items)
        {
            loglikelihoods.Add(scores.Skip(at).Take(item.Endings.Count).Select(s => s.LogLikelihood).ToArray());
            at += item.Endings.Count;
        }
        return Decide(items, loglikelihoods);
    }

    /// <summary>
    /// acc and acc_norm from each item's per-ending log-likelihoods (first maximum wins ties); acc_norm divides by the
    /// ending's characters (Unicode code points, as Python's len), without the delimiting space.
    /// </summary>
    public static MultipleChoiceResult Decide(IReadOnlyList<MultipleChoiceItem> items, IReadOnlyList<double[]> loglikelihoods)
    {
        int correct = 0, correctNorm = 0;
        for (int i = 0; i < items.Count; i++)
        {
            var ll = loglikelihoods[i];
            // lm-eval: len(choice), the ending without the " " it is scored after (endings are never empty).
            var normalised = ll.Select((v, k) => v / Math.Max(1, items[i].Endings[k].EnumerateRunes().Count())).ToArray();
            if (ArgMax(ll) == items[i].Label) correct++;
            if (ArgMax(normalised) == items[i].Label) correctNorm++;
        }
        return new MultipleChoiceResult(items.Count, items.Count == 0 ? double.NaN : (double)correct / items.Count,
            items.Count == 0 ? double.NaN : (double)correctNorm / items.Count);
    }

    /// <summary>
    /// Scores each item's target after its context and, for the choice figure, each of its distractors
    /// (<see cref="ClozeDistractors"/>) after the same context, all in one batched pass.
    /// </summary>
    /// <param name="progress">(requests done, requests total): the targets, then three distractors per item when there are any.</param>
    public static ClozeResult EvaluateCloze(Gpt model, IReadOnlyList<ClozeItem> items, Func<string, int[]> encode, int batchSize = 8,
        Action<int, int>? progress = null, int? window = null)
    {
        var distractors = ClozeDistractors(items);
        var contexts = items.Select(i => encode(i.Context)).ToArray();
        var requests = items.Select((item, k) => new ContinuationRequest(contexts[k], encode(item.Target))).ToList();
        if (distractors is not null)
            for (int k = 0; k < items.Count; k++)
                foreach (var d in distractors[k]) requests.Add(new ContinuationRequest(contexts[k], encode(d)));
        var scores = ContinuationScorer.Score(model, requests, batchSize, progress, window: window);

        var targets = scores.Take(items.Count).ToArray();
        double ll = targets.Sum(s => s.LogLikelihood);
        long tokens = targets.Sum(s => (long)s.Tokens);
        int n = items.Count;
        double choice = double.NaN;
        if (distractors is not null && n > 0)
        {
            // The target must beat every distractor outright: a tie counts as a miss, so ties never flatter a model.
            int correct = 0, others = ClozeResult.ChoiceCandidates - 1;
            for (int k = 0; k < n; k++)
            {
                bool wins = true;
                for (int j = 0; j < others; j++) wins &= targets[k].LogLikelihood > scores[n + k * others + j].LogLikelihood;
                if (wins) correct++;
            }
            choice = (double)correct / n;
        }
        return new ClozeResult(n,
            n == 0 ? double.NaN : (double)targets.Count(s => s.Greedy) / n,
            tokens == 0 ? double.NaN : Math.Exp(-ll / tokens),
            n == 0 ? double.NaN : ll / n,
            Median(targets.Select(s => (double)s.FirstTokenRank)),
            choice);
    }

    /// <summary>Seed of the distractor draw: fixed, so every model and every run is asked the same questions.</summary>
    public const ulong ClozeDistractorSeed = 0xc10_2e14;

    /// <summary>
    /// Each item's <see cref="ClozeResult.ChoiceCandidates"/> − 1 distractors: distinct targets of other items whose text
    /// differs from the item's target (ordinal comparison), drawn uniformly from the file's distinct targets by a stream
    /// seeded with <see cref="ClozeDistractorSeed"/>, items in file order — the same file always gets the same
    /// distractors. Null when the file has fewer than <see cref="ClozeResult.ChoiceCandidates"/> distinct targets (there
    /// are not enough to draw from; the choice figure is then not reported).
    /// </summary>
    public static string[][]? ClozeDistractors(IReadOnlyList<ClozeItem> items)
    {
        var distinct = items.Select(i => i.Target).Distinct(StringComparer.Ordinal).ToArray();
        if (distinct.Length < ClozeResult.ChoiceCandidates) return null;
        var rng = new Rng(ClozeDistractorSeed);
        var result = new string[items.Count][];
        for (int k = 0; k < items.Count; k++)
        {
            var chosen = new List<string>(ClozeResult.ChoiceCandidates - 1);
            while (chosen.Count < ClozeResult.ChoiceCandidates - 1)
            {
                // Rejection keeps the draw uniform; at least three other distinct targets exist, so it ends.
                string d = distinct[rng.NextInt(distinct.Length)];
                if (d != items[k].Target && !chosen.Contains(d)) chosen.Add(d);
            }
            result[k] = [.. chosen];
        }
        return result;
    }

    /// <summary>The middle value (the mean of the two middle ones for an even count); NaN for none.</summary>
    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static int ArgMax(double[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    private static string Preprocess(string text)
    {
        text = text.Trim().Replace(" [title]", ". ");
        text = BracketMarker().Replace(text, "");
        return text.Replace("  ", " ");
    }

    [GeneratedRegex(@"\[.*?\]")]
    private static partial Regex BracketMarker();

    /// <summary>A task file without items is an error: its accuracy would be NaN, reported as a result.</summary>
    private static List<T> NotEmpty<T>(List<T> items, string path) =>
        items.Count > 0 ? items : throw new InvalidDataException($"{path}: holds no task items (an empty task file)");

    private static IEnumerable<(JsonNode Node, int Line)> ReadJsonLines(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: task file not found");
        int line = 0;
        // Decoded by Eslm's text rules: invalid UTF-8 or UTF-16 is an error naming the file, never replaced or guessed.
        string content = Eslm.Data.TextDecoding.Decode(File.ReadAllBytes(path), path, Eslm.Data.InvalidUtf8.Error, offerReplace: false);
        foreach (var text in content.Split('\n'))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            JsonNode? node;
            try { node = JsonNode.Parse(text); }
            catch (JsonException e) { throw new InvalidDataException($"{path}:{line}: not valid JSON (at byte {e.BytePositionInLine + 1} of the line)"); }
            if (node is not JsonObject) throw new InvalidDataException($"{path}:{line}: expected a JSON object");
            yield return (node, line);
        }
    }
}
