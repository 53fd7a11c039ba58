using Eslm.Model;
using Eslm.Selection;
using Eslm.Tensors;
using Eslm.Training;
using Eslm.Selection.Strategies;

namespace Eslm.Experiments;

/// <summary>A dataset evaluated after training: its name in the report, its path, and whether it is the training domain.</summary>
public sealed record EvalSet(string Name, string Data, bool InDomain)
{
    /// <summary>The name as it appears in plot file names: ASCII letters and digits, anything else a '-'.</summary>
    public string FileStem => new(Name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray());
}

/// <summary>A downstream task file: <c>hellaswag</c> (multiple choice) or <c>cloze</c>.</summary>
public sealed record TaskSpec(string Task, string File);

/// <summary>One arm: a name, the selection options (a strategy and its settings) and optional training overrides.</summary>
public sealed record ArmSpec(string Name, SelectionOptions Selection, TrainOptions Train)
{
    /// <summary>The arm's strategy and the options that matter for it, in a few words (e.g. "eslm loss α=0.5").</summary>
    public string Describe() => Describe(Selection, Train.Backward);

    /// <summary>The strategy's own label (<see cref="StrategyDefinition.Describe"/>), and the backward mode when it is not the default.</summary>
    public static string Describe(SelectionOptions s, BackwardMode backward)
    {
        // The backward mode matters only when tokens are dropped; named when it is not the default.
        string mode = s.Strategy == ClmSelector.StrategyName || backward == new TrainOptions().Backward ? "" : $", {backward.Name()} backward";
        return StrategyRegistry.Get(s.Strategy).Describe(s) + mode;
    }

    /// <summary><see cref="Describe()"/> plus the GEMM precision when it is not fp32 (", bf16").</summary>
    public string DescribeWithPrecision() => Describe() + (Train.Precision == Precision.Fp32 ? "" : $", {Train.Precision.Name()}");
}

/// <summary>The model trained first for arms that name <c>"@reference"</c> (Rho-1's reference, or an ESLM-KD teacher).</summary>
public sealed record ReferenceSpec(string Data, GptConfig Model, string ModelName, TrainOptions Train);

/// <summary>
/// Continued pretraining (docs/experiments.md, "base"): plain training (clm) that every seed (and, with "models", every
/// model) runs once, with these options and that seed, before its arms; each arm then continues its model's base run
/// for its seed (weights, AdamW moments, data position) with its own strategy, schedule and budget. The budgets count
/// the continuation alone.
/// </summary>
public sealed record BaseSpec(TrainOptions Train)
{
    /// <summary>The base runs' folder: in the experiment's (one model), or in each model's folder ("models").</summary>
    public const string Folder = "base";

    /// <summary>One seed's base run of a one-model experiment: <c>base/seedK</c>.</summary>
    public static string SeedDirectory(string experiment, ulong seed) => Path.Combine(experiment, Folder, $"seed{seed}");

    /// <summary>One seed's base run for the model of <paramref name="point"/>: <c>MODEL/base/seedK</c> with "models", else <c>base/seedK</c>.</summary>
    public static string SeedDirectory(string experiment, ExperimentSpec spec, GridPoint point, ulong seed) =>
        SeedDirectory(spec.HasModelAxis ? Path.Combine(experiment, GridPoint.ModelFolder(point.ModelName)) : experiment, seed);

    /// <summary>Every folder that holds base runs: the experiment's <c>base/</c>, and each model folder's.</summary>
    public static IEnumerable<string> Folders(string experiment) =>
        !Directory.Exists(experiment) ? []
            : Directory.EnumerateDirectories(experiment).Select(d => Path.Combine(d, Folder)).Prepend(Path.Combine(experiment, Folder)).Where(Directory.Exists);
}
