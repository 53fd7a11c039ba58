using Eslm.Evaluation;
using Eslm.Experiments;
using Eslm.Reporting;
using Eslm.Model;
using Eslm.Training;
using Eslm.Data;
using Eslm.Distributed;
using Eslm.Selection.Strategies;

namespace Eslm.Cli;

/// <summary>
/// The CLI's data, tokenizer, model loading and progress for experiments. Under mpirun (<paramref name="processes"/>),
/// data are this rank's slices of the global batches and only rank 0 logs.
/// </summary>
public sealed class CliExperimentHost(IDistributed? processes = null) : IExperimentHost
{
    private readonly Dictionary<string, ProgressReporter> _bars = new();

    public IDistributed Processes { get; } = processes ?? SingleProcess.Instance;

    public IBatchSource OpenTrain(string data, int batchSize, int sequenceLength, ulong seed, SamplingMode sampling) =>
        MpiCli.OpenSlice(Processes, batchSize, b => DataSources.OpenTrain(data, b, sequenceLength, seed, sampling));

    public Func<IBatchSource>? OpenValidation(string data, int batchSize, int sequenceLength, int batches)
    {
        var global = DataSources.ValidationFactory(data, false, batchSize * Processes.Size, sequenceLength, batches);
        return global is null ? null : () => MpiCli.Slice(Processes, global());
    }

    public string WriteReport(string directory) => ExperimentReport.Write(directory);

    public void CheckData(string data, string role)
    {
        if (data.StartsWith("random:", StringComparison.Ordinal)) return;
        switch (role)
        {
            case "train": (DataSources.OpenTrain(data, 1, 1, 0) as IDisposable)?.Dispose(); break;
            case "val": DataSources.ValidationFactory(data, true, 1, 1, 1); break;
            default: TokenSequence.Open(data, "val").Dispose(); break;
        }
    }

    public void CheckVocabulary(string data, int modelVocab)
    {
        // A data problem (exit 1), not a command-line one: the fix is in the experiment file or the data.
        try { DataSources.CheckVocabulary(data, modelVocab, "\"vocab\": "); }
        catch (ArgumentException e) { throw new InvalidDataException(e.Message, e); }
    }

    public EvalCorpus OpenEvalCorpus(string data) => TextData.OpenEvalCorpus(data);

    public int[] Encode(string text) => TextData.Encode(text);

    public Gpt LoadModel(string path) => ModelLoader.Load(path);

    public void Log(string message)
    {
        if (Processes.Rank != 0) return;
        if (_bars.Count > 0) _bars.Values.Last().Note(message);
        else Console.Error.WriteLine(message);
    }

    public void Progress(string arm, double fraction, StepResult step)
    {
        if (Processes.Rank != 0) return;
        if (!_bars.TryGetValue(arm, out var bar)) _bars[arm] = bar = new ProgressReporter(arm, 100, "%");
        bar.Report((long)Math.Floor(fraction * 100), $"| step {step.Step + 1} | loss {step.Loss:F3}" +
                                                     (step.Strategy == ClmSelector.StrategyName ? "" : $" | kept {step.Selection.KeptFraction * 100:F0}%"));
    }
}
