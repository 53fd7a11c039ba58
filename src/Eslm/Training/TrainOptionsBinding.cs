using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using Eslm.Records;

namespace Eslm.Training;

/// <summary>One declared option of <see cref="TrainOptions"/>, as the binders (CLI, JSON, resume) see it.</summary>
public sealed class TrainOptionDescriptor
{
    internal TrainOptionDescriptor(PropertyInfo property, object? defaultValue)
    {
        Property = property;
        Default = defaultValue;
        var a = property.GetCustomAttribute<RunOptionAttribute>()!;
        (Key, Description, Alias, Min, MinExclusive, Max, ChangesResults) = (a.Key, a.Description, a.Alias, a.Min, a.MinExclusive, a.Max, a.ChangesResults);
        Flag = "--" + Key.Replace('_', '-');
    }

    public PropertyInfo Property { get; }
    public Type Type => Property.PropertyType;
    /// <summary>The record's initial value.</summary>
    public object? Default { get; }
    public string Key { get; }
    /// <summary>Command-line flag: "--" + the key in kebab-case.</summary>
    public string Flag { get; }
    public string? Alias { get; }
    public string Description { get; }
    public double Min { get; }
    public bool MinExclusive { get; }
    public double Max { get; }
    /// <summary>See <see cref="RunOptionAttribute.ChangesResults"/>.</summary>
    public bool ChangesResults { get; }

    public object? ValueIn(TrainOptions options) => Property.GetValue(options);

    /// <summary>The options with this one replaced.</summary>
    public TrainOptions Set(TrainOptions options, object? value)
    {
        var copy = (TrainOptions)typeof(TrainOptions).GetMethod("<Clone>$")!.Invoke(options, null)!;
        Property.SetValue(copy, value); // init-only setters are plain setters to reflection
        return copy;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the flag when <paramref name="value"/> is outside the declared range.</summary>
    public void Check(object? value)
    {
        if (value is not (int or long or ulong or float or double)) return;
        double v = Convert.ToDouble(value, CultureInfo.InvariantCulture);
        if (double.IsNaN(v) || double.IsInfinity(v)) throw new ArgumentException($"{Flag} must be a finite number (got {Text(value)})");
        bool low = !double.IsNaN(Min) && (MinExclusive ? v <= Min : v < Min);
        bool high = !double.IsNaN(Max) && v > Max;
        if (!low && !high) return;
        string range = double.IsNaN(Max) ? $"{(MinExclusive ? ">" : ">=")} {Number(Min)}"
            : $"in {(MinExclusive ? "(" : "[")}{Number(Min)}, {Number(Max)}]";
        throw new ArgumentException($"{Flag} must be {range} (got {Text(value)})");
    }

    /// <summary>The value as run.json writes it (enums in kebab-case).</summary>
    public JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        Enum e => JsonValue.Create(EnumNames.Name(e)),
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l),
        ulong u => JsonValue.Create(u),
        float f => JsonValue.Create(f),
        double d => JsonValue.Create(d),
        bool b => JsonValue.Create(b),
        string s => JsonValue.Create(s),
        _ => throw new NotSupportedException($"{Key}: options of type {value.GetType().Name} have no JSON form"),
    };

    /// <summary>The value as messages and run.json's "changes" show it (invariant culture, shortest round-trip for floats).</summary>
    public static string Text(object? value) => value switch
    {
        null => "none",
        Enum e => EnumNames.Name(e),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    private static string Number(double v) => v.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// <see cref="TrainOptions"/> to and from JSON (run.json's "options", experiment "train" objects, --config files), driven
/// by the <see cref="RunOptionAttribute"/> declarations, in declaration order.
/// </summary>
public static class TrainOptionsBinding
{
    /// <summary>Every declared option, in declaration order.</summary>
    public static IReadOnlyList<TrainOptionDescriptor> All { get; } = Describe();

    public static TrainOptionDescriptor? Find(string key) => All.FirstOrDefault(o => o.Key == key);

    /// <summary>Whether two runs with these options train the same (options with <see cref="RunOptionAttribute.ChangesResults"/> equal).</summary>
    public static bool SameResults(TrainOptions a, TrainOptions b) =>
        All.Where(o => o.ChangesResults).All(o => Equals(o.ValueIn(a), o.ValueIn(b))) && a.ScheduleSteps == b.ScheduleSteps;

    /// <summary>Every option with its value.</summary>
    public static void WriteTo(JsonObject json, TrainOptions options)
    {
        foreach (var o in All) json[o.Key] = o.ToJson(o.ValueIn(options));
    }

    /// <summary>
    /// <paramref name="basis"/> with every declared key of <paramref name="json"/> applied (exact JSON types; messages name
    /// the key, prefixed by <paramref name="where"/>). Other keys go to <paramref name="other"/>, or are errors without it.
    /// Unvalidated: the caller calls <see cref="TrainOptions.Validate"/> once everything is bound.
    /// </summary>
    public static TrainOptions Read(JsonObject json, TrainOptions basis, string where, Action<string, JsonNode?>? other = null)
    {
        foreach (var (key, value) in json)
        {
            if (Find(key) is { } o) basis = o.Set(basis, StrictJson.Read(value, o.Type, nullable: false, where + key));
            else if (other is not null) other(key, value);
            else throw new ArgumentException($"unknown key '{where}{key}' (known: {string.Join(", ", All.Select(x => x.Key))})");
        }
        return basis;
    }

    private static List<TrainOptionDescriptor> Describe()
    {
        var defaults = new TrainOptions();
        return typeof(TrainOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetCustomAttribute<RunOptionAttribute>() is not null)
            .OrderBy(p => p.MetadataToken)
            .Select(p => new TrainOptionDescriptor(p, p.GetValue(defaults)))
            .ToList();
    }
}
