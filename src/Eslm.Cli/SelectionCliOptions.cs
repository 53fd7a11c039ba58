using System.CommandLine;
using Eslm.Model;
using Eslm.Selection;

namespace Eslm.Cli;

/// <summary>
/// Token-selection flags shared by `train`, `bench` and `show-selection` (docs/selection.md explains each): the options
/// every strategy shares, written out here, then one flag per setting of every registered strategy, generated from the
/// strategy's settings record (<see cref="StrategyRegistry.Settings"/>), so a new strategy's flags, defaults and help
/// need no change here.
/// </summary>
public sealed class SelectionCliOptions
{
    private static readonly SelectionOptions Defaults = new();

    public Option<string> Strategy { get; } = new("--strategy") { Description = $"Token selection: {string.Join(", ", StrategyRegistry.Names)}", DefaultValueFactory = _ => Defaults.Strategy };
    public Option<string> Score { get; } = new("--score") { Description = "Score to rank tokens by: loss or entropy" + UsedBy(SharedOptions.Score), DefaultValueFactory = _ => Kebab(Defaults.Score) };
    public Option<double> Alpha { get; } = new("--alpha") { Description = "Risk level α in [0,1): drop tokens scoring below VaR_α" + UsedBy(SharedOptions.Alpha), DefaultValueFactory = _ => Defaults.Alpha };
    public Option<double> Keep { get; } = new("--keep") { Description = "Fraction of tokens kept, in (0,1]" + UsedBy(SharedOptions.Keep), DefaultValueFactory = _ => Defaults.Keep };
    public Option<string> Scope { get; } = new("--selection-scope") { Description = "Threshold over: sequence, microbatch, step (all micro-batches of an optimizer step), global", DefaultValueFactory = _ => Kebab(Defaults.Scope) };
    public Option<string> Normalize { get; } = new("--normalize") { Description = "Divide kept losses by the kept count (kept) or by all tokens (all)", DefaultValueFactory = _ => Kebab(Defaults.Normalize) };
    public Option<ulong> SelectionSeed { get; } = new("--selection-seed") { Description = "Seed of the keep mask's random stream" + UsedBy(SharedOptions.Seed), DefaultValueFactory = _ => Defaults.Seed };

    /// <summary>" (used by eslm, ada-eslm, …)": the strategies that read a shared option, from their definitions.</summary>
    private static string UsedBy(SharedOptions option) => $" (used by {string.Join(", ", StrategyRegistry.Using(option))})";

    /// <summary>One generated flag per strategy setting, with how to read its value back.</summary>
    private readonly List<(SettingDescriptor Setting, Option Option, Func<ParseResult, object?> Read)> _settings =
        StrategyRegistry.Settings.Select(MakeOption).ToList();

    /// <summary>Every selection flag: the strategy, the shared options and each strategy's settings.</summary>
    public IEnumerable<Option> All => new Option[] { Strategy, Score, Alpha, Keep, Scope, Normalize, SelectionSeed }.Concat(_settings.Select(s => s.Option));

    public void AddTo(Command command)
    {
        foreach (var o in All) command.Options.Add(o);
    }

    /// <summary>
    /// The selection options: <paramref name="basis"/> (the defaults, or a resumed run's recorded selection) with every
    /// option the command line gives explicitly applied; settings with derived values filled in; validated.
    /// </summary>
    public SelectionOptions Resolve(ParseResult r, SelectionOptions? basis = null)
    {
        var o = basis ?? new SelectionOptions();
        bool Given(Option option) => UnusedOptions.Given(r, option);
        if (Given(Strategy)) o = o with { Strategy = StrategyRegistry.Canonical(r.GetValue(Strategy)!) };
        if (Given(Score)) o = o with { Score = ParseEnum<ScoreKind>(r.GetValue(Score)!, "--score") };
        if (Given(Alpha)) o = o with { Alpha = r.GetValue(Alpha) };
        if (Given(Keep)) o = o with { Keep = r.GetValue(Keep) };
        if (Given(Scope)) o = o with { Scope = ParseEnum<SelectionScope>(r.GetValue(Scope)!, "--selection-scope") };
        if (Given(Normalize)) o = o with { Normalize = ParseEnum<Normalization>(r.GetValue(Normalize)!, "--normalize") };
        if (Given(SelectionSeed)) o = o with { Seed = r.GetValue(SelectionSeed) };
        foreach (var (setting, option, read) in _settings)
        {
            if (!Given(option)) continue;
            object? value = read(r);
            if (setting.Type.IsEnum) value = ParseEnum(setting.Type, (string)value!, setting.Flag);
            o = setting.Set(o, value);
        }
        return SelectionBinding.Resolved(o).Validate();
    }

    /// <summary>
    /// Settings of another strategy than the chosen one, given explicitly (non-default): training ignores them. A path (a
    /// model, a sidecar) is an error, since the user expects it to be used; any other setting a warning.
    /// <paramref name="backward"/>: the --backward a command (train, bench) was given, warned about as --selection-scope is.
    /// </summary>
    public void CheckIgnored(ParseResult r, SelectionOptions selection, Action<string> warn, BackwardMode? backward = null)
    {
        // Issue 21: `--alpha 0.9 --strategy clm` was ignored without a word. A shared option given explicitly that the
        // chosen strategy does not read (StrategyDefinition.Uses) is a warning, as are other strategies' settings.
        var uses = StrategyRegistry.Get(selection.Strategy).Uses;
        foreach (var (option, shared) in new (Option, SharedOptions)[] { (Score, SharedOptions.Score), (Alpha, SharedOptions.Alpha), (Keep, SharedOptions.Keep), (SelectionSeed, SharedOptions.Seed) })
            if (UnusedOptions.Given(r, option) && !uses.HasFlag(shared))
                warn($"--strategy {selection.Strategy} does not use {option.Name} (used by {string.Join(", ", StrategyRegistry.Using(shared))}), so it is ignored");
        // With every token kept, each scope and normalisation weighs every token 1/(all tokens). Compared with the default,
        // not just "given": a run.json passed as --config names them for every strategy.
        if (StrategyRegistry.Get(selection.Strategy).KeepsEveryToken)
            foreach (var (option, changed) in new (Option, bool)[] { (Scope, selection.Scope != Defaults.Scope), (Normalize, selection.Normalize != Defaults.Normalize) })
                if (changed && UnusedOptions.Given(r, option))
                    warn(KeepsEveryTokenWarning(selection.Strategy, option.Name, r.GetResult(option)!.GetValueOrDefault<string>()));
        // No dropped rows to treat differently.
        if (StrategyRegistry.Get(selection.Strategy).KeepsEveryToken && backward is { } b && b != new Training.TrainOptions().Backward)
            warn(KeepsEveryTokenWarning(selection.Strategy, "--backward", b.Name()));
        CheckIgnoredSettings(selection, warn);
    }

    /// <summary>The warning for an option that changes nothing under a strategy that keeps every token.</summary>
    private static string KeepsEveryTokenWarning(string strategy, string flag, string value) =>
        $"--strategy {strategy} keeps every token, so {flag} {value} changes nothing; it is ignored";

    private static void CheckIgnoredSettings(SelectionOptions selection, Action<string> warn)
    {
        foreach (var s in SelectionBinding.IgnoredSettings(selection))
        {
            string message = $"{s.Flag} belongs to strategy {s.Owner.Name}, so --strategy {selection.Strategy} ignores it";
            if (s.IsPath) throw new ArgumentException($"{message} (leave it out, or use --strategy {s.Owner.Name})");
            warn(message);
        }
    }

    private static (SettingDescriptor, Option, Func<ParseResult, object?>) MakeOption(SettingDescriptor setting)
    {
        var type = setting.Type.IsEnum ? typeof(string) : setting.Type;
        object? defaultValue = setting.Type.IsEnum ? Kebab((Enum)setting.Default!) : setting.Default;
        var make = typeof(SelectionCliOptions).GetMethod(nameof(Make), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;
        var (option, read) = ((Option, Func<ParseResult, object?>))make.MakeGenericMethod(type).Invoke(null, [setting, defaultValue])!;
        return (setting, option, read);
    }

    /// <summary>A typed option; a default is shown in help unless it is null or false (flags and optional paths).</summary>
    private static (Option, Func<ParseResult, object?>) Make<T>(SettingDescriptor setting, object? defaultValue)
    {
        var option = new Option<T>(setting.Flag) { Description = setting.Description };
        if (defaultValue is not (null or false)) option.DefaultValueFactory = _ => (T)defaultValue;
        return (option, r => r.GetValue(option));
    }

    private static string Kebab(Enum value) => System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString());

    /// <summary>Accepts kebab-case names ("teacher-entropy") for enum members ("TeacherEntropy").</summary>
    public static T ParseEnum<T>(string value, string flag) where T : struct, Enum => (T)ParseEnum(typeof(T), value, flag);

    public static object ParseEnum(Type type, string value, string flag)
    {
        string compact = value.Replace("-", "");
        foreach (var name in Enum.GetNames(type))
            if (string.Equals(name, compact, StringComparison.OrdinalIgnoreCase)) return Enum.Parse(type, name);
        string known = string.Join(", ", Enum.GetNames(type).Select(n => System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(n)));
        throw new ArgumentException($"{flag} must be one of {known} (got '{value}')");
    }
}
