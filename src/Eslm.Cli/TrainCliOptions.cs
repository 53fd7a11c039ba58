using System.CommandLine;
using Eslm.Training;

namespace Eslm.Cli;

/// <summary>
/// The flags of <see cref="TrainOptions"/>, generated from its declarations (<see cref="TrainOptionsBinding"/>): name,
/// alias, help line and default come from the record, so an option added there appears here, in run.json and in
/// `--resume` with no edit in the CLI. `train` takes them all; `bench` and `show-selection` take the few they share.
/// </summary>
public sealed class TrainCliOptions
{
    private readonly List<(TrainOptionDescriptor Descriptor, Option Option)> _options;

    /// <param name="keys">The options to offer (null = all), by key.</param>
    public TrainCliOptions(IReadOnlyCollection<string>? keys = null) =>
        _options = TrainOptionsBinding.All.Where(d => keys is null || keys.Contains(d.Key)).Select(d => (d, Make(d))).ToList();

    public void AddTo(Command command)
    {
        foreach (var (_, option) in _options) command.Options.Add(option);
    }

    /// <summary>
    /// <paramref name="basis"/> (the defaults, or a resumed run's recorded options) with every option the command line
    /// gives explicitly applied. Unvalidated: the caller resolves the sequence length for its model, then validates.
    /// </summary>
    public TrainOptions Resolve(ParseResult r, TrainOptions basis)
    {
        foreach (var (d, option) in _options)
            if (r.GetResult(option) is { Implicit: false } given)
                basis = d.Set(basis, Parse(d, given.GetValueOrDefault<object?>()));
        return basis;
    }

    /// <summary>The flag of <paramref name="key"/> (this command must offer it).</summary>
    public Option this[string key] => _options.Single(o => o.Descriptor.Key == key).Option;

    /// <summary>Whether the command line gives the option of <paramref name="key"/> (false when this command lacks it).</summary>
    public bool Given(ParseResult r, string key) => _options.Any(o => o.Descriptor.Key == key && UnusedOptions.Given(r, o.Option));

    private static object? Parse(TrainOptionDescriptor d, object? value) =>
        d.Type.IsEnum ? SelectionCliOptions.ParseEnum(d.Type, (string)value!, d.Flag) : value;

    /// <summary>One typed flag for a declared option (enums as their kebab-case names).</summary>
    public static Option Make(TrainOptionDescriptor d)
    {
        var type = d.Type.IsEnum ? typeof(string) : d.Type;
        object? defaultValue = d.Default is Enum e ? Records.EnumNames.Name(e) : d.Default;
        var make = typeof(TrainCliOptions).GetMethod(nameof(MakeTyped), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;
        return (Option)make.MakeGenericMethod(type).Invoke(null, [d, defaultValue])!;
    }

    private static Option<T> MakeTyped<T>(TrainOptionDescriptor d, object? defaultValue)
    {
        var option = d.Alias is { } alias ? new Option<T>(d.Flag, alias) : new Option<T>(d.Flag);
        option.Description = d.Description;
        option.DefaultValueFactory = _ => (T)defaultValue!;
        return option;
    }
}
