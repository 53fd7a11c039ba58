using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Eslm.Records;

/// <summary>
/// The one way Eslm reads a configuration file (experiment specs, <c>--config</c>, run.json): comments and trailing commas
/// allowed, duplicate keys refused ("duplicate key 'steps' in FILE", where .NET would keep the last or throw its own
/// text), and values read with their exact JSON type (<see cref="Read"/>): a string is never a number, a number never
/// rounds into an integer, an out-of-range integer names the limit. Errors are one line naming the key and the file.
/// </summary>
public static class StrictJson
{
    private static readonly JsonDocumentOptions Options = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>Reads <paramref name="path"/> as a JSON object; <paramref name="what"/> names it in the not-found message.</summary>
    public static JsonObject ReadObject(string path, string what)
    {
        if (Directory.Exists(path)) throw new InvalidDataException($"{path}: {what} is a folder, not a JSON file");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: {what} not found");
        return ParseObject(File.ReadAllText(path), path);
    }

    /// <summary>Parses <paramref name="text"/> (from <paramref name="file"/>) as a JSON object, refusing duplicate keys.</summary>
    public static JsonObject ParseObject(string text, string file)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new InvalidDataException($"{file}: empty; expected a JSON object");
        JsonNode? node;
        try
        {
            CheckDuplicates(text, file);
            node = JsonNode.Parse(text, documentOptions: Options);
        }
        catch (JsonException e)
        {
            // .NET's message names its own API (BytePositionInLine, isFinalBlock): say where, in the reader's terms.
            throw new InvalidDataException($"{file}: not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})");
        }
        return node as JsonObject ?? throw new InvalidDataException($"{file}: expected a JSON object");
    }

    /// <summary>One pass over the tokens with a key set per open object.</summary>
    private static void CheckDuplicates(string text, string file)
    {
        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(text),
            new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var open = new Stack<HashSet<string>?>(); // null for arrays
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject: open.Push(new HashSet<string>(StringComparer.Ordinal)); break;
                case JsonTokenType.StartArray: open.Push(null); break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray: open.Pop(); break;
                case JsonTokenType.PropertyName:
                    string key = reader.GetString()!;
                    if (!open.Peek()!.Add(key)) throw new InvalidDataException($"duplicate key '{key}' in {file}");
                    break;
            }
        }
    }

    /// <summary>
    /// The value of <paramref name="node"/> as <paramref name="type"/> (int, long, ulong, float, double, bool, string, an
    /// enum written in kebab-case, or their nullable forms; null only where <paramref name="nullable"/>). Errors are
    /// <see cref="ArgumentException"/>s "key 'K' must be EXPECTED (got VALUE)"; the caller adds the file.
    /// </summary>
    public static object? Read(JsonNode? node, Type type, bool nullable, string key)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        nullable |= underlying is not null;
        type = underlying ?? type;
        if (node is null)
            return nullable ? null : throw Wrong(key, Expected(type), null);
        var kind = node.GetValueKind();
        if (type == typeof(string)) return kind == JsonValueKind.String ? node.GetValue<string>() : throw Wrong(key, "a string", node);
        if (type == typeof(bool)) return kind is JsonValueKind.True or JsonValueKind.False ? node.GetValue<bool>() : throw Wrong(key, "true or false", node);
        if (type.IsEnum) return kind == JsonValueKind.String && EnumNames.TryParse(type, node.GetValue<string>(), out var e) ? e : throw Wrong(key, Expected(type), node);
        if (kind != JsonValueKind.Number) throw Wrong(key, Expected(type), node);
        string text = node.ToJsonString();
        if (type == typeof(float) || type == typeof(double))
        {
            double d = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
            if (type == typeof(float) && Math.Abs(d) > float.MaxValue) throw Wrong(key, "a number within ±3.4e38", node);
            return type == typeof(float) ? (object)(float)d : d;
        }
        var (min, max) = IntegerRange(type);
        if (!decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var m) || m != decimal.Truncate(m))
            throw Wrong(key, Expected(type), node);
        if (m < min || m > max) throw Wrong(key, Expected(type), node);
        return Convert.ChangeType(m, type, CultureInfo.InvariantCulture);
    }

    /// <summary>What a value of <paramref name="type"/> looks like, for messages ("an integer from 0 to 2147483647").</summary>
    public static string Expected(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string)) return "a string";
        if (type == typeof(bool)) return "true or false";
        if (type.IsEnum) return EnumNames.All(type).ToList() is var names && names.Count == 2 ? $"{names[0]} or {names[1]}" : "one of " + string.Join(", ", names);
        if (type == typeof(float) || type == typeof(double)) return "a number";
        var (min, max) = IntegerRange(type);
        return $"an integer from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}";
    }

    private static (decimal Min, decimal Max) IntegerRange(Type type) =>
        type == typeof(int) ? (int.MinValue, int.MaxValue)
        : type == typeof(long) ? (long.MinValue, long.MaxValue)
        : type == typeof(ulong) ? (0, ulong.MaxValue)
        : throw new NotSupportedException($"StrictJson reads no {type.Name}");

    private static ArgumentException Wrong(string key, string expected, JsonNode? got) =>
        new($"key '{key}' must be {expected} (got {got?.ToJsonString() ?? "null"})");
}

/// <summary>Enum values as every Eslm file and flag spells them: kebab-case ("kept-rows", "teacher-entropy", "fp32").</summary>
public static class EnumNames
{
    public static string Name(Enum value) => JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString());

    public static IEnumerable<string> All(Type type) => Enum.GetNames(type).Select(JsonNamingPolicy.KebabCaseLower.ConvertName);

    /// <summary>Accepts the kebab-case name or the member name, without regard to case or dashes.</summary>
    public static bool TryParse(Type type, string text, out object value)
    {
        string compact = text.Replace("-", "");
        foreach (var name in Enum.GetNames(type))
            if (string.Equals(name, compact, StringComparison.OrdinalIgnoreCase)) { value = Enum.Parse(type, name); return true; }
        value = null!;
        return false;
    }
}
