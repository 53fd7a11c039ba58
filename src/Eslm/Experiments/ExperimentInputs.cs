using Eslm.Evaluation;
using Eslm.Selection;
using Eslm.Tensors;

namespace Eslm.Experiments;

/// <summary>
/// What an experiment reads besides its training data, checked before anything trains and then kept: the evaluation
/// corpora and task files are read once per process, however many runs are evaluated.
/// </summary>
internal sealed class ExperimentInputs(ExperimentSpec spec, IExperimentHost host)
{
    private readonly Dictionary<string, EvalCorpus> _corpora = new();
    private readonly Dictionary<string, List<MultipleChoiceItem>> _multipleChoice = new();
    private readonly Dictionary<string, List<ClozeItem>> _cloze = new();

    /// <summary>An evaluation set's validation split with its document index.</summary>
    public EvalCorpus Corpus(string data) => _corpora.TryGetValue(data, out var c) ? c : _corpora[data] = host.OpenEvalCorpus(data);

    /// <summary>A HellaSwag-style task file's items.</summary>
    public List<MultipleChoiceItem> MultipleChoice(string file) =>
        _multipleChoice.TryGetValue(file, out var items) ? items : _multipleChoice[file] = DownstreamTasks.LoadMultipleChoice(file);

    /// <summary>A cloze task file's items.</summary>
    public List<ClozeItem> Cloze(string file) => _cloze.TryGetValue(file, out var items) ? items : _cloze[file] = DownstreamTasks.LoadCloze(file);

    /// <summary>
    /// Issue 13: every dataset, task file and model path the spec names is opened (or found) before anything trains, so a
    /// typo in the last eval set fails in a second, not after the first arm's hours.
    /// </summary>
    public void Check()
    {
        host.CheckData(spec.Data, "train");
        if (spec.ValidationData is { } val) host.CheckData(val, "val");
        if (spec.Reference is { } r) host.CheckData(r.Data, "train");
        foreach (var set in spec.Eval)
        {
            try { host.CheckData(set.Data, "eval"); }
            catch (Exception e) when (e is IOException or InvalidDataException) { throw new InvalidDataException($"eval set '{set.Name}': {e.Message}", e); }
        }
        CheckVocabularies();
        foreach (var task in spec.Tasks)
        {
            if (!File.Exists(task.File)) throw new FileNotFoundException($"{task.File}: {task.Task} task file not found");
            if (task.Task == "hellaswag") MultipleChoice(task.File);
            else Cloze(task.File);
        }
        CheckTaskVocabularies();
        // bf16 needs oneDNN and AVX512-BF16: say so now, not when the first bf16 arm starts after hours of others.
        if (spec.Arms.Any(a => a.Train.Precision == Precision.Bf16)) Eslm.Native.OneDnn.EnsureBf16();
        foreach (var arm in spec.Arms)
            foreach (var (flag, path) in SelectionBinding.Paths(arm.Selection))
                if (path != ExperimentSpec.ReferenceName && !path.StartsWith("preset:", StringComparison.Ordinal) && !File.Exists(path) && !Directory.Exists(path))
                    throw new FileNotFoundException($"{path}: arm {arm.Name}: {flag} not found");
    }

    /// <summary>
    /// Every model against every dataset it reads: a vocabulary smaller than the data's tokenizer would fail at the first
    /// batch, after the folders (and maybe other models' runs) were made. The reference reads its data and scores the arms'.
    /// </summary>
    private void CheckVocabularies()
    {
        var reads = spec.Points.Select(p => (p.ModelName, p.Model.VocabSize, Data: (IEnumerable<string>)
            [spec.Data, .. spec.ValidationData is { } v ? [v] : Array.Empty<string>(), .. spec.Eval.Select(e => e.Data)])).ToList();
        if (spec.Reference is { } r) reads.Add((r.ModelName + " (the reference)", r.Model.VocabSize, [r.Data, spec.Data]));
        foreach (var (model, vocab, data) in reads.DistinctBy(x => (x.ModelName, x.VocabSize)))
            foreach (string d in data.Distinct())
            {
                try { host.CheckVocabulary(d, vocab); }
                catch (InvalidDataException e) { throw new InvalidDataException($"{e.Message} (model {model} of the experiment file)", e); }
            }
    }

    /// <summary>
    /// Task texts are encoded when a finished run is evaluated: an id outside a small model's vocabulary would fail
    /// there, after the training.
    /// </summary>
    private void CheckTaskVocabularies()
    {
        foreach (var task in spec.Tasks)
        {
            IEnumerable<string> texts = task.Task == "hellaswag"
                ? MultipleChoice(task.File).SelectMany(item => item.Endings.Prepend(item.Context))
                : Cloze(task.File).SelectMany(item => new[] { item.Context, item.Target });
            int largest = texts.Select(text => host.Encode(text).DefaultIfEmpty(-1).Max()).DefaultIfEmpty(-1).Max();
            if (spec.Points.FirstOrDefault(p => largest >= p.Model.VocabSize) is { } point)
                throw new InvalidDataException($"{task.File}: the {task.Task} task's text encodes to token id {largest}, outside model " +
                                               $"{point.ModelName}'s vocabulary of {point.Model.VocabSize}");
        }
    }
}
