using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Eslm.Records;

namespace Eslm.Selection;

/// <summary>
/// Selection options to and from JSON: run.json's <c>"selection"</c> object, experiment arms and checkpoints. Keys are
/// snake_case, enum values kebab-case; the shared options come first, then the strategy's settings.
/// </summary>
public static class SelectionBinding
{
    /// <summary>Keys of the options every strategy shares, in run.json order.</summary>
    public static readonly string[] CommonKeys = ["strategy", "score", "alpha", "keep", "scope", "normalize", "seed"];

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    /// <summary>
    /// What a run with these options uses (run.json's "selection"): the strategy, the shared options it reads
    /// (<see cref="StrategyDefinition.Uses"/>), the scope and normalisation (applied to every strategy), then its own settings.
    /// Other strategies' settings are left out, so adding a strategy changes no other run's files.
    /// </summary>
    public static JsonObject ToJson(SelectionOptions o)
    {
        var uses = StrategyRegistry.Get(o.Strategy).Uses;
        var json = new JsonObject { ["strategy"] = o.Strategy };
        if (uses.HasFlag(SharedOptions.Score)) json["score"] = Node(o.Score);
        if (uses.HasFlag(SharedOptions.Alpha)) json["alpha"] = o.Alpha;
        if (uses.HasFlag(SharedOptions.Keep)) json["keep"] = o.Keep;
        json["scope"] = Node(o.Scope);
        json["normalize"] = Node(o.Normalize);
        if (uses.HasFlag(SharedOptions.Seed)) json["seed"] = o.Seed;
        foreach (var s in StrategyRegistry.Settings.Where(s => s.Owner.Name == o.Strategy))
            json[s.Key] = JsonSerializer.SerializeToNode(s.ValueIn(o), s.Type, Json);
        return json;
    }

    /// <summary>
    /// Options from a flat JSON object of shared keys and settings keys (unvalidated). <paramref name="other"/> receives
    /// keys that are neither (the caller's own, e.g. an arm's "backward"); without it they are errors.
    /// </summary>
    public static SelectionOptions FromJson(JsonObject json, Action<string, JsonNode?>? other = null, string where = "")
    {
        var o = new SelectionOptions();
        foreach (var (name, value) in json)
        {
            string key = where + name;
            o = name switch
            {
                "strategy" => o with { Strategy = StrategyRegistry.Canonical(Read<string>(key, value)) },
                "score" => o with { Score = Read<ScoreKind>(key, value) },
                "alpha" => o with { Alpha = Read<double>(key, value) },
                "keep" => o with { Keep = Read<double>(key, value) },
                "scope" => o with { Scope = Read<SelectionScope>(key, value) },
                "normalize" => o with { Normalize = Read<Normalization>(key, value) },
                "seed" => o with { Seed = Read<ulong>(key, value) },
                _ when StrategyRegistry.Settings.FirstOrDefault(s => s.Key == name) is { } setting =>
                    setting.Set(o, Read(key, value, setting.Type, Nullable(setting))),
                _ when other is not null => Other(o, name, value, other),
                _ => throw new ArgumentException($"unknown selection key '{key}' (known: {string.Join(", ", AllKeys)})"),
            };
        }
        return o;
    }

    /// <summary>
    /// The command-line flag of a selection key (run.json's "selection" object): a setting's own flag, "--selection-scope"
    /// and "--selection-seed" for the two shared keys whose flags say what they select, "--KEY" (kebab-case) otherwise.
    /// </summary>
    public static string FlagFor(string key) => key switch
    {
        "scope" => "--selection-scope",
        "seed" => "--selection-seed",
        _ => StrategyRegistry.Settings.FirstOrDefault(s => s.Key == key)?.Flag ?? "--" + key.Replace('_', '-'),
    };

    /// <summary>
    /// Settings given a non-default value that belong to a strategy other than the chosen one (the registry knows each
    /// setting's owner): ignored by training, so the caller warns, or refuses path settings (a model or file that would
    /// not be used).
    /// </summary>
    public static IEnumerable<SettingDescriptor> IgnoredSettings(SelectionOptions o) =>
        StrategyRegistry.Settings.Where(s => s.Owner.Name != o.Strategy && !Equals(s.ValueIn(o), s.Default));

    /// <summary>Shared keys, then every strategy's settings keys.</summary>
    public static IEnumerable<string> AllKeys => CommonKeys.Concat(StrategyRegistry.Settings.Select(s => s.Key));

    /// <summary>Every bound setting that names a file or model, with its flag: (flag, value) for existence checks.</summary>
    public static IEnumerable<(string Flag, string Path)> Paths(SelectionOptions o) =>
        StrategyRegistry.Settings.Where(s => s.IsPath).Select(s => (s.Flag, s.ValueIn(o) as string)).Where(p => p.Item2 is not null)!;

    /// <summary>Applies every settings record's <see cref="IStrategySettings.Resolved"/>.</summary>
    public static SelectionOptions Resolved(SelectionOptions o)
    {
        foreach (var d in StrategyRegistry.All)
            if (d.Settings is { } type) o = o.With(o.Get(type).Resolved());
        return o;
    }

    private static SelectionOptions Other(SelectionOptions o, string key, JsonNode? value, Action<string, JsonNode?> other)
    {
        other(key, value);
        return o;
    }

    private static T Read<T>(string key, JsonNode? value) => (T)Read(key, value, typeof(T), nullable: false)!;

    /// <summary>Exact JSON types (a string is no number, null only for optional paths); messages name the key and the type.</summary>
    private static object? Read(string key, JsonNode? value, Type type, bool nullable) => StrictJson.Read(value, type, nullable, key);

    private static bool Nullable(SettingDescriptor s) =>
        new System.Reflection.NullabilityInfoContext().Create(s.Property).WriteState == System.Reflection.NullabilityState.Nullable;

    private static JsonNode? Node<T>(T value) => JsonSerializer.SerializeToNode(value, Json);
}
