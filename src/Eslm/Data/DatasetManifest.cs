using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Eslm.Data;

/// <summary>
/// manifest.json of a dataset folder (docs/formats.md), read and written through these records (issue 22, item 6): the
/// property order is the file's order, names are snake_case, optional fields are nullable and left out when null. Reading
/// refuses unknown members, wrong types, missing required fields and duplicate keys with one line naming the file.
/// Format version 1 is a contract with every prepared dataset on disk: the bytes written are those of the former
/// hand-written writer (tests/Eslm.Tests/Fixtures/dataset/manifest-v1.json).
/// </summary>
public sealed record DatasetManifest
{
    public required string Format { get; init; }
    public required int Version { get; init; }
    public string? CreatedBy { get; init; }
    public required ManifestTokenizer Tokenizer { get; init; }
    public ManifestShardFormat? ShardFormat { get; init; }
    public ManifestOptions? Options { get; init; }
    /// <summary>"documents" (val holds whole documents) or "document-tails"; absent in manifests older than the field.</summary>
    public string? ValHoldout { get; init; }
    public List<ManifestSource>? Sources { get; init; }
    public required List<string> Domains { get; init; }
    public required Dictionary<string, ManifestSplit> Splits { get; init; }
    /// <summary>The document index per split (<see cref="DocumentIndex"/>).</summary>
    public Dictionary<string, ManifestIndex>? Index { get; init; }

    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        AllowDuplicateProperties = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Reads <paramref name="path"/>; every problem is an <see cref="InvalidDataException"/> of one line naming it.</summary>
    public static DatasetManifest Read(string path)
    {
        DatasetManifest? manifest;
        try { manifest = JsonSerializer.Deserialize<DatasetManifest>(File.ReadAllBytes(path), s_json); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: {Describe(e)}"); }
        return manifest ?? throw new InvalidDataException($"{path}: expected a JSON object, found null");
    }

    /// <summary>The manifest as written to disk (UTF-8, two-space indents, index columns on one line each).</summary>
    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, s_json);

    /// <summary>System.Text.Json's message in the project's words: what is wrong, where (JSON path and line), what was expected.</summary>
    private static string Describe(JsonException e)
    {
        string where = e.Path is { Length: > 0 } p ? $" at {p}" + (e.LineNumber is { } l ? $" (line {l + 1})" : "") : "";
        string m = e.Message;
        if (Regex.Match(m, "missing required properties including: (.*)\\.") is { Success: true } missing)
            return $"missing field {missing.Groups[1].Value.Trim()}{where}";
        if (Regex.Match(m, "The JSON property '([^']*)' could not be mapped") is { Success: true } unknown)
            return $"unknown field '{unknown.Groups[1].Value}'{where}";
        if (Regex.Match(m, "[Dd]uplicate (?:property|key) '([^']*)'") is { Success: true } duplicate)
            return $"duplicate key '{duplicate.Groups[1].Value}'{where}";
        if (Regex.Match(m, "could not be converted to ([\\w.`\\[\\], ]+)") is { Success: true } type)
            return $"wrong type{where}: expected {Expected(type.Groups[1].Value)}";
        if (m.Contains("null", StringComparison.OrdinalIgnoreCase) && m.Contains("nullab", StringComparison.OrdinalIgnoreCase))
            return $"null is not allowed{where}";
        int cut = m.IndexOf(". ", StringComparison.Ordinal);
        return $"not valid JSON{where} ({(cut > 0 ? m[..cut] : m.TrimEnd('.'))})";
    }

    private static string Expected(string type) => type switch
    {
        _ when type.Contains("List") || type.EndsWith("[]", StringComparison.Ordinal) => "a list",
        _ when type.Contains("Dictionary") || type.Contains("Manifest") => "an object",
        "System.String" => "a string",
        "System.Boolean" => "true or false",
        "System.Double" => "a number",
        _ => "an integer",
    };
}

public sealed record ManifestTokenizer
{
    public required string Name { get; init; }
    public required string Hash { get; init; }
    public string? EncoderSha256 { get; init; }
    public string? MergesSha256 { get; init; }
    public int? VocabSize { get; init; }
    public int? Eot { get; init; }
}

public sealed record ManifestShardFormat
{
    public required string Kind { get; init; }
    public required int Magic { get; init; }
    public required int Version { get; init; }
    [JsonPropertyName("header_int32")] public required int HeaderInt32 { get; init; }
    public required string Dtype { get; init; }
    public required string DocumentPrefix { get; init; }
}

/// <summary>The options prepare ran with (for the record; nothing reads them back).</summary>
public sealed record ManifestOptions
{
    public string? Recipe { get; init; }
    public required string SplitDocuments { get; init; }
    public required string Field { get; init; }
    public required string DomainField { get; init; }
    public string? Domain { get; init; }
    public required string InvalidUtf8 { get; init; }
    /// <summary>One of <see cref="ValDocs"/> and <see cref="ValFraction"/> is written, in this place.</summary>
    public int? ValDocs { get; init; }
    public double? ValFraction { get; init; }
    public required ulong Seed { get; init; }
    public required long ShardTokens { get; init; }
    public required bool Shuffle { get; init; }
    public double? CleanShare { get; init; }
}

public sealed record ManifestSource
{
    public required string Path { get; init; }
    public required string Sha256 { get; init; }
    public required long Bytes { get; init; }
    public required int Documents { get; init; }
}

/// <summary>Documents, tokens (EOT included) and UTF-8 bytes of a split or of one domain within it.</summary>
public sealed record ManifestCounts
{
    public required long Documents { get; init; }
    public required long Tokens { get; init; }
    public required long Bytes { get; init; }
}

public sealed record ManifestSplit
{
    public required long Documents { get; init; }
    public required long Tokens { get; init; }
    public required long Bytes { get; init; }
    public required List<ShardInfo> Shards { get; init; }
    public Dictionary<string, ManifestCounts>? Domains { get; init; }
}

/// <summary>One split's document index, one column per field (entry i = the split's i-th document), each on one line.</summary>
public sealed record ManifestIndex
{
    [JsonConverter(typeof(OneLineArray))] public required long[] Start { get; init; }
    [JsonConverter(typeof(OneLineArray))] public required long[] Tokens { get; init; }
    [JsonConverter(typeof(OneLineArray))] public required long[] Bytes { get; init; }
    [JsonConverter(typeof(OneLineArray))] public required long[] Domain { get; init; }
    [JsonConverter(typeof(OneLineArray))] public required long[] Source { get; init; }
}

/// <summary>An integer column written as one compact line ("[0,20,34]"): an indented array would put each on its own line.</summary>
internal sealed class OneLineArray : JsonConverter<long[]>
{
    public override long[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("The JSON value could not be converted to System.Int64[].");
        var values = new List<long>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long v))
                throw new JsonException("The JSON value could not be converted to System.Int64.");
            values.Add(v);
        }
        return values.ToArray();
    }

    public override void Write(Utf8JsonWriter writer, long[] value, JsonSerializerOptions options)
    {
        var text = new StringBuilder(value.Length * 6 + 2).Append('[');
        for (int i = 0; i < value.Length; i++) (i > 0 ? text.Append(',') : text).Append(value[i].ToString(CultureInfo.InvariantCulture));
        writer.WriteRawValue(text.Append(']').ToString(), skipInputValidation: true);
    }
}
