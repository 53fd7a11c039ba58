using System.Reflection;

namespace Eslm.Selection;

/// <summary>
/// A selection strategy as the rest of Eslm sees it: its name, a one-line summary (help, docs), its settings record,
/// how to build its selector and how a report labels an arm that uses it.
/// </summary>
public sealed record StrategyDefinition(string Name, string Summary, Func<SelectionOptions, TokenSelector> Create)
{
    /// <summary>The strategy's own settings record (<see cref="IStrategySettings"/>), or null when it has none.</summary>
    public Type? Settings { get; init; }

    /// <summary>A few words for report tables and plots, e.g. "eslm loss α=0.5".</summary>
    public Func<SelectionOptions, string> Describe { get; init; } = o => o.Strategy;

    /// <summary>Position in listings (help, reports); built-in strategies use 10, 20, …; others list after them.</summary>
    public int Order { get; init; } = 1000;

    /// <summary>
    /// The shared options of <see cref="SelectionOptions"/> this strategy reads: run.json records only these (with the scope
    /// and normalisation, which training applies to every strategy), and the help of each shared flag lists the strategies
    /// that use it. Default: α, which the default <see cref="TokenSelector.Select"/> (keep score ≥ VaR_α) reads.
    /// </summary>
    public SharedOptions Uses { get; init; } = SharedOptions.Alpha;

    /// <summary>
    /// Whether the strategy keeps every token (the baseline): the selection scope, the normalisation and the backward mode
    /// then give the same weights and gradients, so the CLI warns when one of them is set.
    /// </summary>
    public bool KeepsEveryToken { get; init; }
}

/// <summary>The shared selection options a strategy may read (<see cref="StrategyDefinition.Uses"/>).</summary>
[Flags]
public enum SharedOptions
{
    None = 0,
    /// <summary><see cref="SelectionOptions.Score"/>: loss or entropy.</summary>
    Score = 1,
    /// <summary><see cref="SelectionOptions.Alpha"/>: the VaR risk level.</summary>
    Alpha = 2,
    /// <summary><see cref="SelectionOptions.Keep"/>: a kept fraction.</summary>
    Keep = 4,
    /// <summary><see cref="SelectionOptions.Seed"/>: a mask RNG's seed.</summary>
    Seed = 8,
}

/// <summary>Implemented by every strategy class: the registry finds built-in strategies through it.</summary>
public interface IStrategy
{
    static abstract StrategyDefinition Definition { get; }
}

/// <summary>
/// Every strategy Eslm knows: the built-in ones (each <see cref="IStrategy"/> class of this library, found at start-up)
/// and any registered later (<see cref="Register"/>, e.g. by a test or a plug-in). The factory, the CLI flags and their
/// help, --config, experiment files, run.json and report labels are all driven from here.
/// </summary>
public static class StrategyRegistry
{
    private static readonly object Gate = new();
    private static List<StrategyDefinition> _all = Discover(typeof(StrategyRegistry).Assembly);
    private static List<SettingDescriptor> _settings = DescribeSettings(_all);

    public static IReadOnlyList<StrategyDefinition> All => _all;

    public static IEnumerable<string> Names => _all.Select(d => d.Name);

    /// <summary>Every strategy's settings, strategy by strategy in listing order, each record's in declaration order.</summary>
    public static IReadOnlyList<SettingDescriptor> Settings => _settings;

    /// <summary>
    /// The registered spelling of <paramref name="name"/>, matched without regard to case (choice values are
    /// case-insensitive everywhere: `--strategy ESLM` as `--model TINY`); unknown names come back unchanged for
    /// <see cref="Get"/> to refuse.
    /// </summary>
    public static string Canonical(string name) => _all.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))?.Name ?? name;

    public static StrategyDefinition Get(string name) =>
        _all.FirstOrDefault(d => d.Name == name) ?? throw new ArgumentException($"unknown strategy '{name}' (known: {string.Join(", ", Names)})");

    /// <summary>The selector for validated <paramref name="options"/>.</summary>
    public static TokenSelector Create(SelectionOptions options) => Get(options.Strategy).Create(options.Validate());

    /// <summary>The strategies that read <paramref name="option"/>, in listing order (help of the shared flags).</summary>
    public static IEnumerable<string> Using(SharedOptions option) => _all.Where(d => d.Uses.HasFlag(option)).Select(d => d.Name);

    /// <summary>
    /// Adds a strategy; its name and its settings' keys must be new. Disposing the result removes it again (tests,
    /// plug-ins that come and go); a strategy that stays registered for the process can ignore it.
    /// </summary>
    public static IDisposable Register(StrategyDefinition definition)
    {
        lock (Gate)
        {
            var all = _all.Append(definition).OrderBy(d => d.Order).ToList();
            var settings = DescribeSettings(all); // checks clashes before anything changes
            (_all, _settings) = (all, settings);
        }
        return new Registration(definition);
    }

    private sealed class Registration(StrategyDefinition definition) : IDisposable
    {
        public void Dispose()
        {
            lock (Gate)
            {
                if (!_all.Contains(definition)) return;
                var all = _all.Where(d => d != definition).ToList();
                (_all, _settings) = (all, DescribeSettings(all));
            }
        }
    }

    private static List<StrategyDefinition> Discover(Assembly assembly) =>
        assembly.GetTypes()
            .Where(t => !t.IsAbstract && t.GetInterfaces().Contains(typeof(IStrategy)))
            .Select(t => (StrategyDefinition)t.GetProperty(nameof(IStrategy.Definition), BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!)
            .OrderBy(d => d.Order).ThenBy(d => d.Name, StringComparer.Ordinal)
            .ToList();

    private static List<SettingDescriptor> DescribeSettings(List<StrategyDefinition> all)
    {
        var names = new HashSet<string>();
        foreach (var d in all)
            if (!names.Add(d.Name)) throw new ArgumentException($"two strategies are named '{d.Name}'");
        var keys = new HashSet<string>(SelectionBinding.CommonKeys);
        var result = new List<SettingDescriptor>();
        foreach (var d in all)
        {
            if (d.Settings is not { } type) continue;
            if (!typeof(IStrategySettings).IsAssignableFrom(type) || type.GetConstructor(Type.EmptyTypes) is null)
                throw new ArgumentException($"{type.Name}: strategy settings must implement IStrategySettings and have a parameterless constructor");
            var defaults = Activator.CreateInstance(type)!;
            foreach (var p in SettingDescriptor.PropertiesOf(type))
            {
                var s = new SettingDescriptor(d, p, p.GetValue(defaults));
                if (!keys.Add(s.Key)) throw new ArgumentException($"strategy '{d.Name}': setting '{s.Key}' is already declared");
                result.Add(s);
            }
        }
        return result;
    }
}
