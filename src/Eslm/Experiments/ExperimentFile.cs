using System.Text.Json.Nodes;

namespace Eslm.Experiments;

/// <summary>
/// An experiment file as written (docs/experiments.md): every top-level key with its JSON type, bound by
/// <see cref="Records.JsonRecords"/> (unknown keys and wrong types refused, naming the key and the file). Parts whose
/// shape depends on their content stay JSON and are read on by <see cref="ExperimentSpec"/>: a model is a preset name or
/// an object; a budget has one key that names its unit; an arm mixes its name, a "train" object and selection keys.
/// </summary>
public sealed record ExperimentFile
{
    public string? Name { get; init; }
    public string? Description { get; init; }
    /// <summary>A preset name or a <see cref="ModelFile"/> object.</summary>
    public JsonNode? Model { get; init; }
    /// <summary>Presets, model objects, or {"model": …, "budgets": […]}.</summary>
    public List<JsonNode>? Models { get; init; }
    /// <summary><see cref="Training.TrainOptions"/> keys (<see cref="Training.TrainOptionsBinding"/>).</summary>
    public JsonObject? Train { get; init; }
    public string? Data { get; init; }
    public string? ValData { get; init; }
    /// <summary>One of <see cref="Budget.Names"/> with its value, e.g. {"steps": 200}.</summary>
    public JsonObject? Budget { get; init; }
    public List<JsonObject>? Budgets { get; init; }
    /// <summary>Extra budgets at which only the baseline (clm) arm runs, densening its frontier for the multiplier (issue 23).</summary>
    public List<JsonObject>? BaselineBudgets { get; init; }
    /// <summary>Peak learning rates every arm × seed runs at (an axis, issue 23); instead of train.lr.</summary>
    public List<double>? Lrs { get; init; }
    public List<ulong>? Seeds { get; init; }
    /// <summary>{"name", "train": {…}, "backward", selection keys (<see cref="Selection.SelectionBinding"/>)}.</summary>
    public List<JsonObject>? Arms { get; init; }
    public List<EvalFile>? Eval { get; init; }
    public List<TaskFile>? Tasks { get; init; }
    public long? EvalMaxTokens { get; init; }
    // Run-level training options every arm shares (also accepted inside "train").
    public int? ValEvery { get; init; }
    public int? ValBatches { get; init; }
    public int? CheckpointEvery { get; init; }
    public ReferenceFile? Reference { get; init; }
    /// <summary>Continued pretraining: each seed's plain-training run that every arm of that seed continues.</summary>
    public BaseFile? Base { get; init; }
}

/// <summary>A model object: a preset with per-dimension overrides.</summary>
public sealed record ModelFile
{
    public string? Preset { get; init; }
    public int? Layers { get; init; }
    public int? Heads { get; init; }
    public int? Channels { get; init; }
    public int? Context { get; init; }
    public int? Vocab { get; init; }
}

/// <summary>A "models" entry with its own budgets.</summary>
public sealed record ModelBudgetsFile
{
    public JsonNode? Model { get; init; }
    public List<JsonObject>? Budgets { get; init; }
    public List<JsonObject>? BaselineBudgets { get; init; }
}

public sealed record EvalFile
{
    public string? Name { get; init; }
    public string? Data { get; init; }
    /// <summary>"in" (default) or "out".</summary>
    public string? Domain { get; init; }
}

public sealed record TaskFile
{
    /// <summary>"hellaswag" or "cloze".</summary>
    public string? Task { get; init; }
    public string? File { get; init; }
}

public sealed record ReferenceFile
{
    public string? Data { get; init; }
    public JsonNode? Model { get; init; }
    public JsonObject? Train { get; init; }
}

/// <summary>"base": {"train": {…}}, <see cref="Training.TrainOptions"/> keys over the experiment's "train" ("steps" required).</summary>
public sealed record BaseFile
{
    public JsonObject? Train { get; init; }
}
