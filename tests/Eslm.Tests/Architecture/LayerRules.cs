namespace Eslm.Tests.Architecture;

/// <summary>
/// The layer picture of docs/architecture.md ("Layers point one way"), as data: the one place that says which namespace
/// may reference which. A layer is the namespace segment after "Eslm." (Eslm.Data.Corpora is layer Data).
/// </summary>
public static class LayerRules
{
    /// <summary>
    /// Direct references each layer may make. A layer may also reference, transitively, whatever those may reference
    /// (Model lists Ops, so it may use Tensors and Native too). Anything not reachable here is a forbidden edge.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string[]> Allowed = new Dictionary<string, string[]>
    {
        ["Native"] = [],
        ["IO"] = [],                                      // AtomicFile (complete files only) and RunLock (one writer per folder)
        ["Records"] = ["IO"],                             // plain records written below and read by Reporting (IO: a committed log's gzip check)
        ["Tokenization"] = [],
        ["Tensors"] = ["Native"],                         // with Rng and OpTimer
        ["Ops"] = ["Tensors"],
        ["Model"] = ["Ops"],
        ["Sampling"] = ["Model"],                         // the KV-cache sampler sits just above the model
        ["Optim"] = ["Tensors"],                          // weight decay is TensorSpec.Decay, not a Model name list
        ["Selection"] = ["Tensors", "Records"],       // Records: StrictJson, the one way config files are read
        ["Data"] = ["Tokenization", "Tensors", "IO"],     // with the batch-source interfaces
        ["Distributed"] = ["Data", "Selection", "Tensors", "Native"], // owns IDistributed
        ["Checkpoints"] = ["Model", "Optim", "Tensors", "IO"],
        ["Training"] = ["Model", "Optim", "Selection", "Data", "Checkpoints", "Distributed", "Records"],
        ["Evaluation"] = ["Model", "Data", "Sampling", "Selection", "Records"], // Selection: ValueAtRisk for the document CVaR
        ["Experiments"] = ["Training", "Evaluation"],
        ["Diagnostics"] = ["Training"],                   // benchmark, GEMM ceiling, machine info
        ["Reporting"] = ["Experiments", "Records", "IO"], // the Eslm.Reporting project: reads records, draws them (written atomically)
        ["Cli"] = ["Diagnostics", "Experiments", "Reporting", "Sampling", "Tokenization"],
    };

    /// <summary>Edges forbidden even where the transitive rule would allow them.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Never = new Dictionary<string, string[]>
    {
        ["Reporting"] = ["Model", "Training"], // reports read records (experiment.json, metrics.jsonl, eval.json), never the model or trainer
    };
}
