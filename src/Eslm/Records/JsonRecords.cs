using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Eslm.Records;

/// <summary>
/// Binds a JSON object to a file-schema record: each public settable property is the key of its snake_case name
/// ("ValData" → "val_data"). Unknown keys are refused naming the known ones; a value of the wrong JSON type (an object
/// for a list, a string for a number, null for anything) is refused naming the key and the expected type
/// (<see cref="StrictJson.Read"/> for scalars). Property types: scalars, nested records, <c>List&lt;T&gt;</c>, and
/// <see cref="JsonNode"/> / <see cref="JsonObject"/> for the parts whose shape depends on their content (a model that is
/// a preset name or an object), which the caller reads on. Absent keys keep the record's initial values.
/// </summary>
public static class JsonRecords
{
    /// <summary>
    /// <paramref name="json"/> as a <typeparamref name="T"/>; messages name keys with <paramref name="where"/> before them
    /// ("arms[2].train."). Errors are <see cref="ArgumentException"/>s; the caller adds the file.
    /// </summary>
    public static T Bind<T>(JsonObject json, string where = "") where T : new() => (T)Bind(typeof(T), json, where);

    /// <summary>The keys a record type takes, in declaration order (for messages and docs).</summary>
    public static IEnumerable<string> Keys(Type type) => Properties(type).Select(p => Key(p));

    private static object Bind(Type type, JsonObject json, string where)
    {
        var properties = Properties(type).ToDictionary(Key);
        object target = Activator.CreateInstance(type)!;
        foreach (var (key, node) in json)
        {
            if (!properties.TryGetValue(key, out var property))
                throw new ArgumentException($"unknown key '{where}{key}' (known: {string.Join(", ", properties.Keys)})");
            property.SetValue(target, Value(property.PropertyType, node, where + key)); // init-only setters are plain setters to reflection
        }
        return target;
    }

    private static object? Value(Type type, JsonNode? node, string key)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (node is null) throw Wrong(key, Describe(type), null);
        if (type == typeof(JsonNode)) return node.DeepClone();
        if (type == typeof(JsonObject)) return node is JsonObject o ? o.DeepClone() : throw Wrong(key, "an object", node);
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            if (node is not JsonArray array) throw Wrong(key, Describe(type), node);
            var element = type.GetGenericArguments()[0];
            var list = (System.Collections.IList)Activator.CreateInstance(type)!;
            for (int i = 0; i < array.Count; i++) list.Add(Value(element, array[i], $"{key}[{i}]"));
            return list;
        }
        if (IsRecord(type)) return node is JsonObject obj ? Bind(type, obj, key + ".") : throw Wrong(key, "an object", node);
        return StrictJson.Read(node, type, nullable: false, key);
    }

    private static string Describe(Type type) =>
        type == typeof(JsonObject) || IsRecord(type) ? "an object"
        : type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>) ? "a list of " + Plural(type.GetGenericArguments()[0])
        : type == typeof(JsonNode) ? "a value" : StrictJson.Expected(type);

    private static string Plural(Type element) =>
        IsRecord(element) || element == typeof(JsonObject) ? "objects" : element == typeof(string) ? "strings" : StrictJson.Expected(element).Replace("an integer", "integers");

    private static bool IsRecord(Type type) => type.IsClass && type != typeof(string) && !typeof(JsonNode).IsAssignableFrom(type) && type.GetConstructor(Type.EmptyTypes) is not null
                                               && !type.IsGenericType;

    private static IEnumerable<PropertyInfo> Properties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).OrderBy(p => p.MetadataToken);

    private static string Key(PropertyInfo p) => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name);

    private static ArgumentException Wrong(string key, string expected, JsonNode? got) =>
        new($"key '{key}' must be {expected} (got {got?.ToJsonString() ?? "null"})");
}
