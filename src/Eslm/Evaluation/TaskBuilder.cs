using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Eslm.Tensors;
using Eslm.IO;

namespace Eslm.Evaluation;

/// <summary>A held-out document: its text and its domain (e.g. the source corpus or Brown genre).</summary>
public sealed record SourceDocument(string Text, string Domain);

/// <summary>
/// Builds two zero-shot tasks from held-out documents, deterministically (same documents and seed → byte-identical files):
/// <list type="bullet">
/// <item>next sentence (HellaSwag format): context = up to three consecutive sentences, gold ending = the sentence that
/// follows, three distractors = sentences of other documents of the same domain (any other document when the domain has
/// too few); the gold position is drawn from the seeded stream.</item>
/// <item>last-word cloze (LAMBADA-style): a passage of consecutive sentences whose final word (a letters-only word of
/// four or more letters, not a stop word) already occurs earlier in the passage; context = the passage up to that word,
/// target = " " + the word.</item>
/// </list>
/// </summary>
public static partial class TaskBuilder
{
    public const int MinWords = 4, MaxWords = 40, MaxContextWords = 90, MaxClozeWords = 120;

    public static (List<MultipleChoiceItem> NextSentence, List<ClozeItem> Cloze) Build(IReadOnlyList<SourceDocument> documents, int items, ulong seed)
    {
        var sentences = documents.Select(d => SplitSentences(d.Text)).ToList();
        var rng = new Rng(seed);
        return (BuildNextSentence(documents, sentences, items, rng.Clone()), BuildCloze(sentences, items, new Rng(seed ^ 0x5eed_c10e)));
    }

    /// <summary>Sentences of a text: whitespace collapsed, split after . ! or ? (and closing quotes) before an upper-case start.</summary>
    public static List<string> SplitSentences(string text)
    {
        string flat = Whitespace().Replace(text, " ").Trim();
        return SentenceEnd().Split(flat).Select(s => s.Trim()).Where(s => s.Length > 0).ToList();
    }

    /// <summary>Items one document may contribute: enough to reach the count with half the documents, at least 3.</summary>
    private static int PerDocument(int count, int documents) => Math.Max(3, (int)Math.Ceiling(2.0 * count / Math.Max(1, documents)));

    private static int Words(string s) => s.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;

    private static bool Usable(string s) => Words(s) is >= MinWords and <= MaxWords && s.Any(char.IsLetter) && !s.Contains('\uFFFD');

    private static List<MultipleChoiceItem> BuildNextSentence(IReadOnlyList<SourceDocument> documents, List<List<string>> sentences, int count, Rng rng)
    {
        // Candidate (document, sentence index) pairs, visited in a seeded order.
        var candidates = new List<(int Doc, int At)>();
        for (int d = 0; d < documents.Count; d++)
            for (int k = 1; k < sentences[d].Count; k++)
                if (Usable(sentences[d][k]) && Usable(sentences[d][k - 1])) candidates.Add((d, k));
        var order = candidates.ToArray();
        rng.Shuffle(order.AsSpan());

        var byDomain = documents.Select((doc, i) => (doc.Domain, i)).GroupBy(x => x.Domain).ToDictionary(g => g.Key, g => g.Select(x => x.i).ToArray());
        var usedDocs = new Dictionary<int, int>();
        int perDocument = PerDocument(count, documents.Count);
        var items = new List<MultipleChoiceItem>();
        foreach (var (d, k) in order)
        {
            if (items.Count >= count) break;
            if (usedDocs.GetValueOrDefault(d) >= perDocument) continue; // spread items over many documents
            var context = new List<string>();
            int words = 0;
            for (int j = k - 1; j >= 0 && context.Count < 3; j--)
            {
                if (words + Words(sentences[d][j]) > MaxContextWords) break;
                context.Insert(0, sentences[d][j]);
                words += Words(sentences[d][j]);
            }
            if (context.Count == 0) continue;
            string gold = sentences[d][k];
            var pool = byDomain[documents[d].Domain].Where(o => o != d).ToArray();
            if (pool.Length == 0) pool = Enumerable.Range(0, documents.Count).Where(o => o != d).ToArray();
            var distractors = new List<string>();
            for (int attempt = 0; attempt < 50 && distractors.Count < 3 && pool.Length > 0; attempt++)
            {
                var other = sentences[pool[rng.NextInt(pool.Length)]];
                if (other.Count == 0) continue;
                string s = other[rng.NextInt(other.Count)];
                if (Usable(s) && s != gold && !distractors.Contains(s) && !context.Contains(s)) distractors.Add(s);
            }
            if (distractors.Count < 3) continue;
            int label = rng.NextInt(4);
            distractors.Insert(label, gold);
            items.Add(new MultipleChoiceItem(string.Join(' ', context), distractors, label));
            usedDocs[d] = usedDocs.GetValueOrDefault(d) + 1;
        }
        return items;
    }

    private static readonly HashSet<string> StopWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "that", "this", "with", "from", "have", "were", "they", "them", "their", "there", "then", "than", "what", "when", "which", "would",
        "could", "should", "will", "shall", "been", "into", "your", "upon", "unto", "said", "some", "very", "more", "much", "only", "also",
        "such", "here", "where", "these", "those", "about", "other", "after", "before", "again", "well", "just", "like", "over", "thee", "thou",
    };

    private static List<ClozeItem> BuildCloze(List<List<string>> sentences, int count, Rng rng)
    {
        var candidates = new List<(int Doc, int End)>();
        for (int d = 0; d < sentences.Count; d++)
            for (int k = 1; k < sentences[d].Count; k++) candidates.Add((d, k));
        var order = candidates.ToArray();
        rng.Shuffle(order.AsSpan());
        var items = new List<ClozeItem>();
        var usedDocs = new Dictionary<int, int>();
        int perDocument = PerDocument(count, sentences.Count);
        foreach (var (d, k) in order)
        {
            if (items.Count >= count) break;
            if (usedDocs.GetValueOrDefault(d) >= perDocument) continue;
            var last = sentences[d][k];
            var m = FinalWord().Match(last);
            if (!m.Success || m.Groups[1].Value.Length < 4 || StopWords.Contains(m.Groups[1].Value)) continue;
            string word = m.Groups[1].Value;
            var passage = new StringBuilder();
            int words = Words(last);
            int first = k;
            while (first > 0 && words + Words(sentences[d][first - 1]) <= MaxClozeWords && k - first < 6) { first--; words += Words(sentences[d][first]); }
            for (int j = first; j < k; j++) passage.Append(sentences[d][j]).Append(' ');
            string head = passage + last[..m.Index];
            if (!Regex.IsMatch(head, @"\b" + Regex.Escape(word) + @"\b", RegexOptions.IgnoreCase) || Words(head) < 12) continue;
            items.Add(new ClozeItem(head.TrimEnd(), " " + word));
            usedDocs[d] = usedDocs.GetValueOrDefault(d) + 1;
        }
        return items;
    }

    /// <summary>Writes HellaSwag-format JSONL (ctx, endings, label).</summary>
    public static void WriteMultipleChoice(string path, IEnumerable<MultipleChoiceItem> items) =>
        WriteLines(path, items.Select(i => JsonSerializer.Serialize(new { ctx = i.Context, endings = i.Endings, label = i.Label }, Json)));

    /// <summary>Writes cloze JSONL (context, target).</summary>
    public static void WriteCloze(string path, IEnumerable<ClozeItem> items) =>
        WriteLines(path, items.Select(i => JsonSerializer.Serialize(new { context = i.Context, target = i.Target }, Json)));

    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static void WriteLines(string path, IEnumerable<string> lines)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.WriteAllLines(path, lines, flushToDisk: false);
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"(?<!\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Capt|Col|Gen|Rev|Mme|Mlle|No|vs|viz|i\.e|e\.g)\.)(?<=[.!?][""')\]]?)\s+(?=[""'(]?[A-Z])")]
    private static partial Regex SentenceEnd();

    /// <summary>The last word of a sentence (letters only) followed only by punctuation.</summary>
    [GeneratedRegex(@"(?<=\s)([A-Za-z]+)[.!?;:,""')\]]*$")]
    private static partial Regex FinalWord();
}
