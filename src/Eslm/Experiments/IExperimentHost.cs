using Eslm.Evaluation;
using Eslm.Model;
using Eslm.Training;
using Eslm.Data;
using Eslm.Distributed;

namespace Eslm.Experiments;

/// <summary>What an experiment needs from its surroundings: data, tokenizer, model loading and logging (the CLI supplies these).</summary>
public interface IExperimentHost
{
    /// <summary>
    /// The training stream of a dataset, windows drawn as <paramref name="sampling"/> says (train.sampling); the same
    /// (path, seed, sampling) gives the same batches for every arm.
    /// </summary>
    IBatchSource OpenTrain(string data, int batchSize, int sequenceLength, ulong seed, SamplingMode sampling);

    /// <summary>
    /// A factory of identical fixed validation streams (for the periodic validation), or null: for a dataset, an
    /// <see cref="IValidationSource"/> holding a fixed sample of <paramref name="batches"/> batches spread over the whole
    /// split (the same for every arm and seed), or the whole split when it is smaller.
    /// </summary>
    Func<IBatchSource>? OpenValidation(string data, int batchSize, int sequenceLength, int batches);

    /// <summary>
    /// Fails (naming the path) when <paramref name="data"/> cannot be opened in its <paramref name="role"/>: "train" (a
    /// training stream), "val" (validation batches) or "eval" (a whole validation split). Called for every dataset of the
    /// spec before anything trains. Hosts whose data are not files need not check.
    /// </summary>
    void CheckData(string data, string role) { }

    /// <summary>
    /// Fails with an <see cref="InvalidDataException"/> naming the path when <paramref name="data"/> holds token ids a model
    /// of <paramref name="modelVocab"/> cannot read (its tokenizer's vocabulary is larger). Hosts that cannot tell need not check.
    /// </summary>
    void CheckVocabulary(string data, int modelVocab) { }

    /// <summary>The whole validation split with its document index (for the final evaluation).</summary>
    EvalCorpus OpenEvalCorpus(string data);

    /// <summary>Text → token ids (downstream tasks).</summary>
    int[] Encode(string text);

    /// <summary>A checkpoint (or run directory) → model (Rho-1 references, teachers, final evaluation).</summary>
    Gpt LoadModel(string path);

    /// <summary>
    /// Writes the experiment's report from its directory (report.md and plots) and returns the report's path. The host
    /// does it because Experiments sits below Reporting (a separate project, Eslm.Reporting): the CLI calls
    /// ExperimentReport.Write. Called on rank 0 only, after every arm has finished.
    /// </summary>
    string WriteReport(string directory);

    /// <summary>A one-line progress or status message.</summary>
    void Log(string message);

    /// <summary>After every training step of an arm: (arm label, fraction of the budget spent, the step).</summary>
    void Progress(string arm, double fraction, StepResult step) { }

    /// <summary>
    /// Data-parallel processes (docs/distributed.md). Under mpirun every rank runs the whole experiment; OpenTrain and
    /// OpenValidation must then return this rank's slice of the global batches, and rank 0 alone writes files.
    /// </summary>
    IDistributed Processes => SingleProcess.Instance;
}
