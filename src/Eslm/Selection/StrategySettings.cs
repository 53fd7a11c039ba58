using System.Reflection;
using System.Text.Json;

namespace Eslm.Selection;

/// <summary>
/// A strategy's own settings: a record whose <see cref="SettingAttribute"/> properties become CLI flags (kebab-case of the
/// property name), run.json / experiment / --config keys (snake_case) and help lines, with the record's initial values as
/// the defaults. Must have a parameterless constructor. run.json records the chosen strategy's settings only, so a new
/// strategy's settings change no other run's files; a key missing from a file reads back as the default.
/// </summary>
public interface IStrategySettings
{
    /// <summary>
    /// Throws <see cref="ArgumentException"/> naming the flag when a value is out of range. <paramref name="selected"/>:
    /// this strategy is the one being trained, so what it requires (e.g. a reference model) must be given.
    /// </summary>
    void Validate(bool selected);

    /// <summary>Fills values derived from others once everything is bound (e.g. Rho-1 runs online when only a model is given).</summary>
    IStrategySettings Resolved() => this;
}

/// <summary>Marks a settings property: its help text, and whether it names a file (checked to exist; "@reference" in experiments).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SettingAttribute(string description) : Attribute
{
    public string Description { get; } = description;
    /// <summary>The value is a model or file path.</summary>
    public bool IsPath { get; init; }
    /// <summary>The path is a per-token reference-loss sidecar (`eslm score`): in experiments "@reference" here means the
    /// sidecar of the experiment's reference model over the training split, not the model itself.</summary>
    public bool IsReferenceLosses { get; init; }
}

/// <summary>One setting of one strategy, as the binders see it.</summary>
public sealed class SettingDescriptor
{
    internal SettingDescriptor(StrategyDefinition owner, PropertyInfo property, object? defaultValue)
    {
        Owner = owner;
        Property = property;
        Default = defaultValue;
        var attribute = property.GetCustomAttribute<SettingAttribute>()!;
        Description = attribute.Description;
        IsPath = attribute.IsPath;
        IsReferenceLosses = attribute.IsReferenceLosses;
        Key = JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name);
        Flag = "--" + JsonNamingPolicy.KebabCaseLower.ConvertName(property.Name);
    }

    public StrategyDefinition Owner { get; }
    public PropertyInfo Property { get; }
    public Type Type => Property.PropertyType;
    /// <summary>The record's initial value.</summary>
    public object? Default { get; }
    public string Description { get; }
    public bool IsPath { get; }
    /// <summary>See <see cref="SettingAttribute.IsReferenceLosses"/>.</summary>
    public bool IsReferenceLosses { get; }
    /// <summary>run.json, experiment and --config key (snake_case).</summary>
    public string Key { get; }
    /// <summary>Command-line flag (kebab-case).</summary>
    public string Flag { get; }

    public object? ValueIn(SelectionOptions options) => Property.GetValue(options.Get(Owner.Settings!));

    /// <summary>The options with this setting replaced (the other settings of its record kept).</summary>
    public SelectionOptions Set(SelectionOptions options, object? value)
    {
        var record = options.Get(Owner.Settings!);
        var copy = (IStrategySettings)Clone(record);
        Property.SetValue(copy, value); // init-only setters are plain setters to reflection
        return options.With(copy);
    }

    private static object Clone(object record) =>
        record.GetType().GetMethod("<Clone>$")?.Invoke(record, null) ?? throw new InvalidOperationException($"{record.GetType().Name} must be a record");

    internal static IEnumerable<PropertyInfo> PropertiesOf(Type settings) =>
        settings.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetCustomAttribute<SettingAttribute>() is not null)
            .OrderBy(p => p.MetadataToken);
}
