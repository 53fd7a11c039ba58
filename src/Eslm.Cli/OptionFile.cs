using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Eslm.Selection;

namespace Eslm.Cli;

/// <summary>One value of an options file, with the key it was written under (for messages) and the flag it sets.</summary>
public sealed record OptionEntry(string Key, string Flag, JsonNode Value);

/// <summary>
/// Reads the option files a command can take (`--config FILE`, and the run.json that `train --resume` defaults from) into
/// flags and values. Three layouts: a flat object of option names (kebab-case or snake_case: "grad-accum" or
/// "grad_accum"); the printed "resolved configuration" (snake_case, selection keys nested in "selection"); and a run.json
/// ({"model": {architecture}, "options": {resolved configuration}}). Keys that describe rather than configure ("command",
/// "config", "processes", "changes") are skipped. Values are checked against the option's type here, so a type error names
/// the file and the key, not a flag the user never typed.
/// </summary>
public static class OptionFile
{
    private static readonly HashSet<string> Descriptive = ["command", "config", "processes", "changes"];

    /// <summary>run.json's architecture keys (<c>Checkpoint.ConfigToJson</c>) → model flags; the padded vocabulary is derived.</summary>
    private static readonly Dictionary<string, string?> ModelKeys = new()
    {
        ["layers"] = "--layers", ["heads"] = "--heads", ["channels"] = "--channels", ["max_sequence_length"] = "--context",
        ["vocab_size"] = "--vocab", ["padded_vocab_size"] = null,
    };

    public static JsonObject Read(string path, string what)
    {
        if (Directory.Exists(path)) throw new InvalidDataException($"{path}: is a folder; the {what} must be a JSON file");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: {what} not found");
        string text = File.ReadAllText(path);
        if (string.IsNullOrWhiteSpace(text)) throw new InvalidDataException($"{path}: empty; the {what} must hold a JSON object of option names and values");
        try
        {
            return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })
                as JsonObject ?? throw new InvalidDataException($"{path}: expected a JSON object of option names and values");
        }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})"); }
    }

    /// <summary>Whether <paramref name="json"/> is a run.json (an "options" object beside the architecture).</summary>
    public static bool IsRunJson(JsonObject json) => json["options"] is JsonObject;

    /// <summary>Every configuring entry of <paramref name="json"/> in any of the three layouts (null values skipped).</summary>
    public static List<OptionEntry> Entries(JsonObject json)
    {
        var entries = new List<OptionEntry>();
        if (IsRunJson(json))
        {
            if (json["model"] is JsonObject architecture)
                foreach (var (key, value) in architecture)
                    if (ModelKeys.TryGetValue(key, out var flag) && flag is not null && value is not null) entries.Add(new($"model.{key}", flag, value));
            Flat((JsonObject)json["options"]!, "options.", entries);
        }
        else Flat(json, "", entries);
        return entries;
    }

    private static void Flat(JsonObject json, string prefix, List<OptionEntry> entries)
    {
        foreach (var (key, value) in json)
        {
            if (Descriptive.Contains(key) || value is null) continue;
            if (key == "selection" && value is JsonObject selection)
            {
                // run.json's nested selection: keys bound from the strategy registry, as everywhere else
                foreach (var (k, v) in selection)
                    if (v is not null) entries.Add(new($"{prefix}selection.{k}", SelectionBinding.FlagFor(k), v));
                continue;
            }
            entries.Add(new(prefix + key, "--" + key.Replace('_', '-'), value));
        }
    }

    /// <summary>The command's option for <paramref name="flag"/> (its name or an alias), or null.</summary>
    public static Option? Find(Command command, string flag) => command.Options.FirstOrDefault(o => o.Name == flag || o.Aliases.Contains(flag));

    /// <summary>The command-line tokens that set <paramref name="option"/> to an entry's value; type errors name the file and the key.</summary>
    public static IEnumerable<string> Tokens(Option option, OptionEntry entry, string path)
    {
        var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
        if (type == typeof(bool))
        {
            if (entry.Value.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False)) throw TypeError(path, entry, "true or false");
            return entry.Value.GetValue<bool>() ? [option.Name] : [];
        }
        if (entry.Value is JsonArray array)
        {
            if (!type.IsArray && !(type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))) throw TypeError(path, entry, Describe(type));
            return array.SelectMany(item => new[] { option.Name, Scalar(item!, path, entry, type.IsArray ? type.GetElementType()! : type.GetGenericArguments()[0]) });
        }
        return [option.Name, Scalar(entry.Value, path, entry, type)];
    }

    private static string Scalar(JsonNode node, string path, OptionEntry entry, Type type)
    {
        var kind = node.GetValueKind();
        if (type == typeof(string))
            return kind switch
            {
                JsonValueKind.String => node.GetValue<string>(),
                JsonValueKind.Number => node.ToJsonString(),
                _ => throw TypeError(path, entry, "a string"),
            };
        string text = kind switch
        {
            JsonValueKind.Number => node.ToJsonString(),
            JsonValueKind.String => node.GetValue<string>(),
            _ => throw TypeError(path, entry, Describe(type)),
        };
        bool ok = type == typeof(int) ? int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
            : type == typeof(long) ? long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
            : type == typeof(ulong) ? ulong.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
            : type == typeof(float) || type == typeof(double) ? double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            : true;
        return ok ? text : throw TypeError(path, entry, Describe(type));
    }

    private static string Describe(Type t) =>
        t == typeof(int) || t == typeof(long) ? "an integer" : t == typeof(ulong) ? "a non-negative integer"
        : t == typeof(float) || t == typeof(double) ? "a number" : t == typeof(string) ? "a string" : "a " + t.Name;

    private static InvalidDataException TypeError(string path, OptionEntry entry, string expected) =>
        new($"{path}: key '{entry.Key}' must be {expected} (got {entry.Value.ToJsonString()})");
}
