namespace Eslm.Tests.Architecture;

/// <summary>
/// Judges a set of edges against <see cref="LayerRules"/>: edges outside the picture, cycles between layers, and
/// layers the table does not know. Every problem is one line naming the file(s) and the edge.
/// </summary>
public static class LayerCheck
{
    public static List<string> Problems(IReadOnlyList<LayerEdge> edges, IEnumerable<string> layersSeen,
        IReadOnlyDictionary<string, string[]> allowed, IReadOnlyDictionary<string, string[]> never)
    {
        var problems = new List<string>();
        foreach (var layer in layersSeen.Distinct().Where(l => !allowed.ContainsKey(l)).Order(StringComparer.Ordinal))
            problems.Add($"layer {layer} is not in LayerRules.Allowed: add it where it belongs");

        foreach (var e in edges.Where(e => !Permits(allowed, never, e.From, e.To)))
            problems.Add($"{e.File}: forbidden edge {e.From} -> {e.To}");

        foreach (var cycle in Cycles(edges))
        {
            var files = edges.Where(e => cycle.Contains(e.From) && cycle.Contains(e.To))
                .Select(e => $"{e.From} -> {e.To} ({e.File})").Order(StringComparer.Ordinal);
            problems.Add($"cycle between {string.Join(", ", cycle)}: {string.Join("; ", files)}");
        }
        return problems;
    }

    private static bool Permits(IReadOnlyDictionary<string, string[]> allowed, IReadOnlyDictionary<string, string[]> never, string from, string to)
    {
        if (never.GetValueOrDefault(from, []).Contains(to)) return false;
        var seen = new HashSet<string>();
        var stack = new Stack<string>(allowed.GetValueOrDefault(from, []));
        while (stack.Count > 0)
        {
            string next = stack.Pop();
            if (next == to) return true;
            if (seen.Add(next)) foreach (var n in allowed.GetValueOrDefault(next, [])) stack.Push(n);
        }
        return false;
    }

    /// <summary>Strongly connected components with more than one layer (Tarjan), each sorted by name.</summary>
    public static List<List<string>> Cycles(IEnumerable<LayerEdge> edges)
    {
        var graph = edges.GroupBy(e => e.From).ToDictionary(g => g.Key, g => g.Select(e => e.To).Distinct().ToList());
        var nodes = graph.Keys.Concat(graph.Values.SelectMany(v => v)).Distinct().Order(StringComparer.Ordinal).ToList();
        var index = new Dictionary<string, int>(); var low = new Dictionary<string, int>();
        var stack = new Stack<string>(); var onStack = new HashSet<string>(); var result = new List<List<string>>();
        void Visit(string v)
        {
            index[v] = low[v] = index.Count;
            stack.Push(v); onStack.Add(v);
            foreach (var w in graph.GetValueOrDefault(v, []))
            {
                if (!index.ContainsKey(w)) { Visit(w); low[v] = Math.Min(low[v], low[w]); }
                else if (onStack.Contains(w)) low[v] = Math.Min(low[v], index[w]);
            }
            if (low[v] != index[v]) return;
            var component = new List<string>();
            string x;
            do { x = stack.Pop(); onStack.Remove(x); component.Add(x); } while (x != v);
            if (component.Count > 1) result.Add(component.Order(StringComparer.Ordinal).ToList());
        }
        foreach (var n in nodes) if (!index.ContainsKey(n)) Visit(n);
        return result;
    }
}
