using Eslm.Data;
using Eslm.Training;

namespace Eslm.Cli;

/// <summary>
/// Opens training and validation data for the CLI. A data argument is a dataset folder (from `eslm prepare`), an llm.c
/// shard or a raw uint16 token file; `PATH@WEIGHT,PATH@WEIGHT` mixes several by weight (<see cref="DataMixture"/>); `random:V` gives uniformly random
/// tokens below V (smoke tests and benchmarks).
/// </summary>
public static class DataSources
{
    public static IBatchSource OpenTrain(string spec, int batchSize, int sequenceLength, ulong seed, SamplingMode sampling = SamplingMode.Random)
    {
        if (spec.StartsWith("random:", StringComparison.Ordinal)) return new RandomTokenSource(batchSize, sequenceLength, ParseVocab(spec), seed);
        var parts = DataMixture.Parse(spec);
        return DataLoader.OpenMixture(parts, "train", batchSize, sequenceLength, sampling, seed);
    }

    /// <summary>
    /// A factory of identical validation streams (the same fixed sample of <paramref name="batches"/> batches every time,
    /// spread over the whole split: <see cref="ValidationSample"/>), or null when there is no validation data: an explicit
    /// --val-data, else the val split of a dataset folder given as --data.
    /// </summary>
    public static Func<IBatchSource>? ValidationFactory(string spec, bool explicitPath, int batchSize, int sequenceLength, int batches)
    {
        if (spec.StartsWith("random:", StringComparison.Ordinal)) return () => new RandomTokenSource(batchSize, sequenceLength, ParseVocab(spec), 999);
        var parts = DataMixture.Parse(spec);
        string path = parts[0].Path;
        if (!explicitPath && (parts.Count > 1 || !Dataset.LooksLikeDataset(path))) return null; // a single train file has no val split
        if (Dataset.LooksLikeDataset(path) && Dataset.Open(path).Counts.GetValueOrDefault("val") is not { Tokens: > 0 })
        {
            Console.Error.WriteLine($"eslm: warning: {path}: the val split is empty, so this run has no validation (re-prepare with --val-fraction > 0, or give --val-data)");
            return null;
        }
        string split = Dataset.LooksLikeDataset(path) ? "val" : "train";
        int? sample = batches > 0 ? batches : null; // 0: no periodic validation (only opened to check the data)
        using (DataLoader.OpenValidation(path, split, batchSize, sequenceLength, sample)) { } // fail now, not at the first evaluation
        return () => DataLoader.OpenValidation(path, split, batchSize, sequenceLength, sample);
    }

    /// <summary>
    /// Refuses datasets tokenized with a vocabulary larger than the model's (their ids would fall outside its embedding),
    /// naming the dataset and both sizes, before any work starts.
    /// </summary>
    /// <param name="setting">How the fix sets the vocabulary, before the size: "--vocab " (train), "\"vocab\": " (an experiment file).</param>
    public static void CheckVocabulary(string spec, int modelVocab, string setting = "--vocab ")
    {
        if (spec.StartsWith("random:", StringComparison.Ordinal))
        {
            if (ParseVocab(spec) > modelVocab) throw new ArgumentException($"{spec}: token ids up to {ParseVocab(spec) - 1} exceed the model's vocabulary of {modelVocab}");
            return;
        }
        foreach (var (path, _) in DataMixture.Parse(spec))
        {
            if (!Dataset.LooksLikeDataset(path)) continue;
            var tokenizer = Dataset.Open(path).Manifest.Tokenizer;
            if (tokenizer.VocabSize is int v && v > modelVocab)
                throw new ArgumentException($"{path}: tokenized with {tokenizer.Name} (vocabulary {v}), " +
                                            $"larger than the model's vocabulary of {modelVocab}: use {setting}{v} or re-prepare the data");
        }
    }

    /// <summary>The files or folders a data argument reads: each part of a mixture, none for random:V.</summary>
    public static IEnumerable<string> PathsOf(string spec) =>
        spec.StartsWith("random:", StringComparison.Ordinal) ? [] : DataMixture.Parse(spec).Select(p => p.Path);

    private static int ParseVocab(string path) =>
        int.TryParse(path["random:".Length..], out int v) && v > 1 ? v : throw new ArgumentException($"{path}: expected random:V with V > 1");
}
