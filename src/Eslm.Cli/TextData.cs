using Eslm.Data;
using Eslm.Evaluation;
using Eslm.Tensors;
using Eslm.Tokenization;

namespace Eslm.Cli;

/// <summary>
/// Dataset- and tokenizer-specific pieces of evaluation, task building and experiments, kept in one place: a dataset's whole
/// validation split with its document index, its held-out documents as text, and GPT-2 encode/decode.
/// </summary>
public static class TextData
{
    public const int EndOfText = Gpt2Tokenizer.EndOfText;

    /// <summary>Fails, naming the path, when <see cref="OpenEvalCorpus"/> would (checked up front, before any work starts).</summary>
    public static void CheckEvalCorpus(string path)
    {
        if (path.StartsWith("random:", StringComparison.Ordinal)) { OpenEvalCorpus(path); return; } // 4096 tokens: cheap
        using var sequence = TokenSequence.Open(path, "val");
        CheckEvalSize(path, sequence.Count);
    }

    private static void CheckEvalSize(string path, long count)
    {
        // Fewer than 2 tokens hold no prediction: the mean loss would be NaN, reported as a result.
        if (count < 2)
            throw new InvalidDataException($"{path}: the validation split has {count} tokens, nothing to evaluate (re-prepare with --val-fraction > 0 or --val-docs N)");
        if (count > int.MaxValue) throw new NotSupportedException($"{path}: validation split of {count} tokens is too large to evaluate at once");
    }

    /// <summary>The validation split of a dataset folder (tokens + document index), or `random:V` for smoke tests.</summary>
    public static EvalCorpus OpenEvalCorpus(string path)
    {
        if (path.StartsWith("random:", StringComparison.Ordinal))
        {
            int v = int.TryParse(path["random:".Length..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) && n > 1
                ? n : throw new ArgumentException($"{path}: expected random:V with V > 1");
            var rng = new Rng(999);
            return new EvalCorpus(path, Enumerable.Range(0, 4096).Select(_ => rng.NextInt(v)).ToArray());
        }
        using var sequence = TokenSequence.Open(path, "val");
        CheckEvalSize(path, sequence.Count);
        var tokens = new int[sequence.Count];
        sequence.CopyTo(0, tokens);
        var documents = new List<EvalDocument>();
        if (sequence.Dataset is { } dataset)
        {
            var index = dataset.Index("val");
            for (int d = 0; d < index.Count; d++)
                documents.Add(new EvalDocument(index.Start[d], index.Tokens[d], dataset.Domains[index.DomainIds[d]], index.Bytes[d]));
        }
        return new EvalCorpus(Path.GetFileName(Path.GetFullPath(path).TrimEnd('/')), tokens, documents);
    }

    /// <summary>The held-out (validation) documents of a dataset folder as text, with their domains.</summary>
    public static List<SourceDocument> ReadValidationDocuments(string path)
    {
        using var sequence = TokenSequence.Open(path, "val");
        var dataset = sequence.Dataset ?? throw new ArgumentException($"{path}: needs a dataset folder (eslm prepare) for its document index");
        var index = dataset.Index("val");
        var documents = new List<SourceDocument>(index.Count);
        for (int d = 0; d < index.Count; d++)
        {
            var tokens = new int[index.Tokens[d]];
            sequence.CopyTo(index.Start[d], tokens);
            var body = tokens.AsSpan();
            while (body.Length > 0 && body[0] == EndOfText) body = body[1..];
            documents.Add(new SourceDocument(Decode(body), dataset.Domains[index.DomainIds[d]]));
        }
        return documents;
    }

    public static int[] Encode(string text) => Gpt2Tokenizer.Default.Encode(text);

    public static string Decode(ReadOnlySpan<int> tokens) => Gpt2Tokenizer.Default.Decode(tokens);

    /// <summary>The UTF-8 bytes of one token (for the selection page).</summary>
    public static byte[] TokenBytes(int token) => Gpt2Tokenizer.Default.TokenToBytes(token).ToArray();
}
