using System.Text.Json;
using System.Text.Json.Nodes;

namespace Eslm.Reporting;

/// <summary>
/// Reads a run's eval.json for the report, checked: a cut file or a field of the wrong JSON type (a committed study edited
/// by hand, a bad merge) is one error naming the file and the field, never a report of NaNs or a stack trace. Checked are
/// the fields the report reads; others are kept as they are.
/// </summary>
public static class EvalRecord
{
    /// <summary>Numbers the report reads from an evaluation set, one of its domains, or a task.</summary>
    private static readonly string[] SetNumbers = ["tokens", "loss", "ppl", "bits_per_byte", "worst_domain_loss", "doc_cvar90", "documents"];
    private static readonly string[] DomainNumbers = ["loss", "ppl", "tokens", "documents"];
    private static readonly string[] TaskNumbers = ["items", "acc", "acc_norm", "choice_acc", "target_logprob", "target_rank"];

    public static JsonObject Read(string path)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message.Split(". ")[0]}); the file may be truncated"); }
        if (node is not JsonObject root) throw Wrong(path, "the file", "a JSON object", node);
        var sets = Array(path, root, "eval", required: true)!;
        for (int i = 0; i < sets.Count; i++)
        {
            string at = $"\"eval\"[{i}]";
            var set = Object(path, at, sets[i]);
            String(path, set, at, "name", required: true);
            String(path, set, at, "domain", required: false);
            Numbers(path, set, at, SetNumbers);
            if (Array(path, set, "domains", required: false, at) is { } domains)
                for (int d = 0; d < domains.Count; d++)
                {
                    string dat = $"{at}.\"domains\"[{d}]";
                    var domain = Object(path, dat, domains[d]);
                    String(path, domain, dat, "domain", required: true);
                    Numbers(path, domain, dat, DomainNumbers);
                }
        }
        if (Array(path, root, "tasks", required: false) is { } tasks)
            for (int i = 0; i < tasks.Count; i++)
            {
                string at = $"\"tasks\"[{i}]";
                var task = Object(path, at, tasks[i]);
                String(path, task, at, "task", required: true);
                Numbers(path, task, at, TaskNumbers);
            }
        if (root["machine"] is { } m)
        {
            var machine = Object(path, "\"machine\"", m);
            String(path, machine, "\"machine\"", "cpu", required: false);
            if (machine["threads"] is { } t && !(t.GetValueKind() == JsonValueKind.Number && t.AsValue().TryGetValue(out int _)))
                throw Wrong(path, "\"machine\".\"threads\"", "an integer", t);
        }
        return root;
    }

    private static InvalidDataException Wrong(string path, string field, string expected, JsonNode? got) =>
        new($"{path}: {field} must be {expected} (got {Kind(got)})");

    private static string Kind(JsonNode? n) => n is null ? "null" : n.GetValueKind().ToString().ToLowerInvariant() switch
    {
        "true" or "false" => "a boolean", "object" => "an object", "array" => "an array", var k => $"a {k}",
    };

    private static JsonObject Object(string path, string at, JsonNode? n) => n as JsonObject ?? throw Wrong(path, at, "an object", n);

    private static JsonArray? Array(string path, JsonObject o, string key, bool required, string at = "")
    {
        string field = (at.Length > 0 ? at + "." : "") + $"\"{key}\"";
        if (!o.TryGetPropertyValue(key, out var n) || n is null)
            return required ? throw new InvalidDataException($"{path}: {field} is missing (not an eval.json Eslm wrote?)") : null;
        return n as JsonArray ?? throw Wrong(path, field, "an array", n);
    }

    private static void String(string path, JsonObject o, string at, string key, bool required)
    {
        o.TryGetPropertyValue(key, out var n);
        if (n is null ? required : n.GetValueKind() != JsonValueKind.String) throw Wrong(path, $"{at}.\"{key}\"", "a string", n);
    }

    /// <summary>
    /// Each key present must hold a finite number (null reads as "not measured"). 1e400 parses as ∞: the seed statistics
    /// would leave it out of the mean while the report still listed the seed, so it is an error here.
    /// </summary>
    private static void Numbers(string path, JsonObject o, string at, string[] keys)
    {
        foreach (string key in keys)
        {
            if (o[key] is not { } n) continue;
            if (n.GetValueKind() != JsonValueKind.Number) throw Wrong(path, $"{at}.\"{key}\"", "a number", n);
            if (!double.IsFinite(n.GetValue<double>())) throw new InvalidDataException($"{path}: {at}.\"{key}\" must be finite (got {n.ToJsonString()})");
        }
    }
}
