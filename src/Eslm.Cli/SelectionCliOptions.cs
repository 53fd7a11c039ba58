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
    public Option<string> Score { get; } = new("--score") { Description = "eslm/ada-eslm/hierarchical score: loss or entropy", DefaultValueFactory = _ => Kebab(Defaults.Score) };
    public Option<double> Alpha { get; } = new("--alpha") { Description = "ESLM risk level α in [0,1): drop tokens scoring below VaR_α", DefaultValueFactory = _ => Defaults.Alpha };
    public Option<double> Keep { get; } = new("--keep") { Description = "rho1/random: fraction of tokens kept, in (0,1]", DefaultValueFactory = _ => Defaults.Keep };
    public Option<string> Scope { get; } = new("--selection-scope") { Description = "Threshold over: sequence, microbatch, step (all micro-batches of an optimizer step), global", DefaultValueFactory = _ => Kebab(Defaults.Scope) };
    public Option<string> Normalize { get; } = new("--normalize") { Description = "Divide kept losses by the kept count (kept) or by all tokens (all)", DefaultValueFactory = _ => Kebab(Defaults.Normalize) };
    public Option<string> Backward { get; } = new("--backward") { Description = "kept-rows (every layer's backward over kept tokens only; dropped tokens' keys/values are constants) or exact (the exact gradient of the selected loss)", DefaultValueFactory = _ => new Training.TrainOptions().Backward.Name() };
    public Option<ulong> SelectionSeed { get; } = new("--selection-seed") { Description = "Seed of the random strategy's mask stream", DefaultValueFactory = _ => Defaults.Seed };

    /// <summary>One generated flag per strategy setting, with how to read its value back.</summary>
    private readonly List<(SettingDescriptor Setting, Option Option, Func<ParseResult, object?> Read)> _settings =
        StrategyRegistry.Settings.Select(MakeOption).ToList();

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Strategy, Score, Alpha, Keep, Scope, Normalize, Backward, SelectionSeed })
            command.Options.Add(o);
        foreach (var (_, option, _) in _settings) command.Options.Add(option);
    }

    /// <summary>The selection options as given (settings with derived values filled in), validated.</summary>
    public SelectionOptions Resolve(ParseResult r)
    {
        var options = new SelectionOptions
        {
            Strategy = r.GetValue(Strategy)!,
            Score = ParseEnum<ScoreKind>(r.GetValue(Score)!, "--score"),
            Alpha = r.GetValue(Alpha), Keep = r.GetValue(Keep),
            Scope = ParseEnum<SelectionScope>(r.GetValue(Scope)!, "--selection-scope"),
            Normalize = ParseEnum<Normalization>(r.GetValue(Normalize)!, "--normalize"),
            Seed = r.GetValue(SelectionSeed),
        };
        foreach (var (setting, _, read) in _settings)
        {
            object? value = read(r);
            if (setting.Type.IsEnum) value = ParseEnum(setting.Type, (string)value!, setting.Flag);
            options = setting.Set(options, value);
        }
        return SelectionBinding.Resolved(options).Validate();
    }

    /// <summary>
    /// Settings of another strategy than the chosen one, given explicitly (non-default): training ignores them. A path (a
    /// model, a sidecar) is an error, since the user expects it to be used; any other setting a warning.
    /// </summary>
    public static void CheckIgnoredSettings(SelectionOptions selection, Action<string> warn)
    {
        foreach (var message in SharedSelectionUse.Ignored(selection)) warn(message); // issue 21: --alpha 0.9 --strategy clm
        foreach (var s in SelectionBinding.IgnoredSettings(selection))
        {
            string message = $"{s.Flag} belongs to strategy {s.Owner.Name}, so --strategy {selection.Strategy} ignores it";
            if (s.IsPath) throw new ArgumentException($"{message} (leave it out, or use --strategy {s.Owner.Name})");
            warn(message);
        }
    }

    /// <summary>--backward (a training option, listed with the selection flags it matters for).</summary>
    public BackwardMode ResolveBackward(ParseResult r) => ParseEnum<BackwardMode>(r.GetValue(Backward)!, "--backward");

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
