using System.Diagnostics;

namespace Eslm.Tensors;

/// <summary>
/// Per-op wall-clock breakdown (Llm.cs's TimeLlm idea, as a decorator on the step rather than a subclass).
/// Disabled by default: a disabled timer's scopes cost one branch.
/// </summary>
public sealed class OpTimer
{
    private readonly Dictionary<string, (long Ticks, long Calls)> _totals = new();

    public bool Enabled { get; set; }

    public Scope Measure(string name) => new(Enabled ? this : null, name);

    public IReadOnlyList<(string Name, double Milliseconds, long Calls)> Totals =>
        _totals.Select(kv => (kv.Key, kv.Value.Ticks * 1000.0 / Stopwatch.Frequency, kv.Value.Calls))
            .OrderByDescending(x => x.Item2).ToList();

    public void Reset() => _totals.Clear();

    private void Add(string name, long ticks)
    {
        _totals.TryGetValue(name, out var t);
        _totals[name] = (t.Ticks + ticks, t.Calls + 1);
    }

    public readonly struct Scope : IDisposable
    {
        private readonly OpTimer? _owner;
        private readonly string _name;
        private readonly long _start;

        internal Scope(OpTimer? owner, string name)
        {
            _owner = owner; _name = name;
            _start = owner is null ? 0 : Stopwatch.GetTimestamp();
        }

        public void Dispose() => _owner?.Add(_name, Stopwatch.GetTimestamp() - _start);
    }
}
