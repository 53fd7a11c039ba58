using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Eslm.Records;
using Eslm.Selection;
using Eslm.Training;

namespace Eslm.Cli;

/// <summary>One value of an options file, with the key it was written under (for messages) and the flag it sets.</summary>
public sealed record OptionEntry(string Key, string Flag, JsonNode? Value);

/// <summary>
/// Reads the option files a command can take (`--config FILE`) into flags and values (`train --resume` reads run.json
/// as a typed <see cref="RunRecord"/> instead, with no detour through flags). Three layouts: a flat object of option names (kebab-case or snake_case: "grad-accum" or
/// "grad_accum"); the printed "resolved configuration" (snake_case, selection keys nested in "selection"); and a run.json
/// ({"model": {architecture}, "options": {resolved configuration}}, <see cref="RunRecord"/>). Keys that describe rather than
/// configure ("command", "config", "processes", "experiment", "changes") are skipped. Values are checked against the
/// option's type here with their exact JSON type (<see cref="StrictJson"/>: "3" is not an integer, null is no value of a
/// number), so a type error names the file, the key and the expected type, not a flag the user never typed; duplicate
/// keys are refused.
/// </summary>
public static class OptionFile
{
    private static readonly HashSet<string> Descriptive = [.. RunRecord.DescriptiveKeys, "changes"];

    /// <summary>run.json's architecture keys (<c>Checkpoint.ConfigToJson</c>) → model flags; the padded vocabulary is derived.</summary>
    private static readonly Dictionary<string, string?> ModelKeys = new()
    {
        ["layers"] = "--layers", ["heads"] = "--heads", ["channels"] = "--channels", ["max_sequence_length"] = "--context",
        ["vocab_size"] = "--vocab", ["padded_vocab_size"] = null,
    };

    public static JsonObject Read(string path, string what) => StrictJson.ReadObject(path, what);

    /// <summary>Whether <paramref name="json"/> is a run.json (an "options" object beside the architecture).</summary>
    public static bool IsRunJson(JsonObject json) => RunRecord.IsRunJson(json);

    /// <summary>
    /// Every configuring entry of <paramref name="json"/> in any of the three layouts; a run.json's architecture only
    /// with <paramref name="architecture"/> (not when the command line names another model).
    /// </summary>
    public static List<OptionEntry> Entries(JsonObject json, bool architecture = true)
    {
        var entries = new List<OptionEntry>();
        if (IsRunJson(json))
        {
            if (architecture && json["model"] is JsonObject shape)
                foreach (var (key, value) in shape)
                    if (ModelKeys.TryGetValue(key, out var flag) && flag is not null && value is not null) entries.Add(new($"model.{key}", flag, value));
            var options = (JsonObject)json["options"]!;
            // A run started --init-from (or --continue-from) records its source as the model name ("model": "runs/a"), no
            // preset: the repeated flag and the architecture keys give the model.
            Flat(options, "options.", entries, skip: options["init_from"] is JsonValue || options["continue_from"] is JsonValue ? "model" : null);
        }
        else Flat(json, "", entries);
        return entries;
    }

    private static void Flat(JsonObject json, string prefix, List<OptionEntry> entries, string? skip = null)
    {
        foreach (var (key, value) in json)
        {
            if (Descriptive.Contains(key) || key == skip) continue;
            if (key == "selection" && value is JsonObject selection)
            {
                // run.json's nested selection: keys bound from the strategy registry, as everywhere else
                foreach (var (k, v) in selection) entries.Add(new($"{prefix}selection.{k}", SelectionBinding.FlagFor(k), v));
                continue;
            }
            entries.Add(new(prefix + key, "--" + key.Replace('_', '-'), value));
        }
    }

    /// <summary>The command's option for <paramref name="flag"/> (its name or an alias), or null.</summary>
    public static Option? Find(Command command, string flag) => command.Options.FirstOrDefault(o => o.Name == flag || o.Aliases.Contains(flag));

    /// <summary>
    /// The command-line tokens that set <paramref name="option"/> to an entry's value (none for null where the option
    /// may be absent: a string, nullable or many-valued option); type errors name the file, the key and the expected type.
    /// </summary>
    public static IEnumerable<string> Tokens(Option option, OptionEntry entry, string path)
    {
        var type = option.ValueType;
        if (type.IsArray || (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>)))
        {
            // An option that takes many values reads a single one as a list of one ("data": "clean", as run.json writes it).
            var element = type.IsArray ? type.GetElementType()! : type.GetGenericArguments()[0];
            JsonNode?[] items = entry.Value switch { null => [], JsonArray array => [.. array], var one => [one] };
            return items.SelectMany(item => new[] { option.Name, Text(Value(item, element, path, entry.Key)) });
        }
        bool optional = type == typeof(string) || Nullable.GetUnderlyingType(type) is not null;
        if (entry.Value is null && optional) return [];
        object? value = Value(entry.Value, type, path, entry.Key);
        if (value is bool b) return b ? [option.Name] : [];
        return [option.Name, Text(value)];
    }

    private static object? Value(JsonNode? node, Type type, string path, string key)
    {
        try { return StrictJson.Read(node, type, nullable: false, key); }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {e.Message}"); }
    }

    private static string Text(object? value) => value switch
    {
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
