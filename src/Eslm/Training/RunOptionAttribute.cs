namespace Eslm.Training;

/// <summary>
/// Declares a <see cref="TrainOptions"/> property as a run option: its key (snake_case, in run.json, experiment files and
/// --config; the flag is "--" + its kebab-case), its help line and its range. The property's initial value is the default.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class RunOptionAttribute(string key, string description) : Attribute
{
    public string Key { get; } = key;
    public string Description { get; } = description;
    /// <summary>A short flag ("-b"), if any.</summary>
    public string? Alias { get; init; }
    /// <summary>Lower bound (NaN = none); exclusive when <see cref="MinExclusive"/>.</summary>
    public double Min { get; init; } = double.NaN;
    public bool MinExclusive { get; init; }
    /// <summary>Upper bound, inclusive (NaN = none).</summary>
    public double Max { get; init; } = double.NaN;
    /// <summary>
    /// False for options that change where and how often a run reports, not the weights it trains (validation,
    /// checkpoints, threads): an experiment arm whose results exist may change them.
    /// </summary>
    public bool ChangesResults { get; init; } = true;
}
