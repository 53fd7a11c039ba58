using System.CommandLine;
using System.CommandLine.Completions;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Eslm.Cli;

/// <summary>
/// Rules every option of every command follows (docs/cli-rules.md), applied once to the built command tree so that no
/// command can forget them:
/// <list type="bullet">
/// <item>Numbers are read with the invariant culture and no group separators: <c>--lr 0,001</c> is an error naming the
/// option (System.CommandLine reads the current culture and takes the comma for a thousands separator: lr 1), and so are
/// <c>inf</c>, <c>nan</c> and values beyond the type's range.</item>
/// <item>A repeated option takes its last value (<c>--steps 3 … --steps 0</c> runs 0 steps), as in git and most Unix tools.</item>
/// <item>Choice values (an option with a fixed list of values) are case-insensitive and read as the listed spelling
/// (<see cref="CanonicalChoices"/>, before parsing).</item>
/// <item>A multi-value option never swallows something that looks like an option (<c>--data A --out x.json</c>).</item>
/// </list>
/// </summary>
public static class OptionRules
{
    public static void Apply(Command command)
    {
        foreach (var option in command.Options) Apply(option);
        foreach (var sub in command.Subcommands) Apply(sub);
    }

    private static void Apply(Option option)
    {
        switch (option)
        {
            case Option<int> o: Scalar(o, Integer(int.Parse, int.MinValue, int.MaxValue)); break;
            case Option<long> o: Scalar(o, Integer(long.Parse, long.MinValue, long.MaxValue)); break;
            case Option<ulong> o: Scalar(o, Integer(ulong.Parse, ulong.MinValue, ulong.MaxValue)); break;
            case Option<float> o: Scalar(o, Real(s => float.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture), float.IsFinite)); break;
            case Option<double> o: Scalar(o, Real(s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture), double.IsFinite)); break;
            case Option<int?> o: Scalar(o, Nullable(Integer(int.Parse, int.MinValue, int.MaxValue))); break;
            case Option<long?> o: Scalar(o, Nullable(Integer(long.Parse, long.MinValue, long.MaxValue))); break;
            case Option<ulong?> o: Scalar(o, Nullable(Integer(ulong.Parse, ulong.MinValue, ulong.MaxValue))); break;
            case Option<float?> o: Scalar(o, Nullable(Real(s => float.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture), float.IsFinite))); break;
            case Option<double?> o: Scalar(o, Nullable(Real(s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture), double.IsFinite))); break;
            case Option<string> o: Scalar(o, (value, _) => value); break;
            // Repeatable numeric options (experiment run --seed 1 --seed 2) read each value by the same rules.
            case Option<int[]> o: Each(o, Integer(int.Parse, int.MinValue, int.MaxValue)); break;
            case Option<long[]> o: Each(o, Integer(long.Parse, long.MinValue, long.MaxValue)); break;
            case Option<ulong[]> o: Each(o, Integer(ulong.Parse, ulong.MinValue, ulong.MaxValue)); break;
            case Option<double[]> o: Each(o, Real(s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture), double.IsFinite)); break;
        }
        if (option.AllowMultipleArgumentsPerToken) option.Validators.Add(NoOptionLikeValues);
    }

    /// <summary>A parser of one token's text; throws <see cref="FormatException"/> with the problem (the option is named by the caller).</summary>
    private delegate T Parse<out T>(string text, string flag);

    /// <summary>
    /// One value per occurrence (arity 1..n, one token each), the last one wins; the value is parsed by <paramref name="parse"/>.
    /// An option that is not given keeps its default value.
    /// </summary>
    private static void Scalar<T>(Option<T> option, Parse<T> parse)
    {
        // Each occurrence takes one token; any number of occurrences (an option declared with an optional value keeps it optional).
        option.Arity = new ArgumentArity(option.Arity.MinimumNumberOfValues, ArgumentArity.ZeroOrMore.MaximumNumberOfValues);
        option.AllowMultipleArgumentsPerToken = false;
        option.CustomParser = result =>
        {
            if (result.Tokens.Count == 0) return option.DefaultValueFactory is { } defaultValue ? defaultValue(result) : default;
            foreach (var token in result.Tokens.Take(result.Tokens.Count - 1))
                try { parse(token.Value, option.Name); }
                catch (FormatException e) { result.AddError(e.Message); return default; }
            try { return parse(result.Tokens[^1].Value, option.Name); }
            catch (FormatException e) { result.AddError(e.Message); return default; }
        };
    }

    /// <summary>Every value of a repeatable option parsed by <paramref name="parse"/>; the first bad one is the error.</summary>
    private static void Each<T>(Option<T[]> option, Parse<T> parse) =>
        option.CustomParser = result =>
        {
            if (result.Tokens.Count == 0) return option.DefaultValueFactory is { } defaultValue ? defaultValue(result) : [];
            var values = new T[result.Tokens.Count];
            for (int i = 0; i < values.Length; i++)
                try { values[i] = parse(result.Tokens[i].Value, option.Name); }
                catch (FormatException e) { result.AddError(e.Message); return default; }
            return values;
        };

    private static Parse<T> Integer<T>(Func<string, NumberStyles, IFormatProvider, T> parse, T min, T max) where T : struct => (text, flag) =>
    {
        try { return parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture); }
        catch (OverflowException)
        {
            throw new FormatException(min.Equals(default(T))
                ? $"{flag}: '{text}' is out of range (an integer from 0 to {max})"
                : $"{flag}: '{text}' is out of range (an integer from {min} to {max})");
        }
        catch (FormatException)
        {
            throw new FormatException(min.Equals(default(T)) && text.StartsWith('-')
                ? $"{flag}: '{text}' is not a non-negative integer"
                : $"{flag}: '{text}' is not an integer (digits only: no decimal point or thousands separator)");
        }
    };

    private static Parse<T> Real<T>(Func<string, T> parse, Func<T, bool> isFinite) => (text, flag) =>
    {
        T value;
        if (text.Trim().ToLowerInvariant() is "inf" or "+inf" or "-inf" or "infinity" or "+infinity" or "-infinity" or "nan")
            throw new FormatException($"{flag}: '{text}' is not a finite number");
        try { value = parse(text); }
        catch (FormatException) { throw new FormatException($"{flag}: '{text}' is not a number (use a decimal point and no thousands separator, e.g. 0.001 or 1e-3)"); }
        return isFinite(value) ? value : throw new FormatException($"{flag}: '{text}' is not a finite number");
    };

    private static Parse<T?> Nullable<T>(Parse<T> parse) where T : struct => (text, flag) => parse(text, flag);

    /// <summary>
    /// Choice values (the fixed values of an option declared with AcceptOnlyFromAmong) given in another case are replaced
    /// by the declared spelling before parsing (System.CommandLine compares them case-sensitively), and a value that is no
    /// choice is a usage error listing the choices on one line.
    /// </summary>
    public static string[] CanonicalChoices(RootCommand root, string[] args)
    {
        Command command = root;
        int i = 0;
        for (; i < args.Length && command.Subcommands.FirstOrDefault(c => c.Name == args[i]) is { } sub; i++) command = sub;
        var result = (string[])args.Clone();
        for (; i < args.Length && args[i] != "--"; i++)
        {
            string token = args[i];
            int equals = token.IndexOf('=');
            string name = token.StartsWith('-') && equals > 0 ? token[..equals] : token;
            var option = OptionFile.Find(command, name);
            if (option is not Option<string> choiceOption) continue;
            bool named = NamedValues.TryGetValue(option.Name, out var names); // checked by the command itself
            string[] choices = named ? names!() : Choices(choiceOption);
            if (choices.Length == 0) continue;
            int at = equals > 0 && name != token ? i : i + 1;
            if (at >= args.Length) continue;
            string value = at == i ? token[(equals + 1)..] : args[at];
            string? canonical = choices.FirstOrDefault(c => string.Equals(c, value, StringComparison.OrdinalIgnoreCase));
            if (canonical is null && named) continue;
            if (canonical is null) throw new ArgumentException($"{option.Name} must be one of {string.Join(", ", choices)} (got '{value}')");
            result[at] = at == i ? $"{name}={canonical}" : canonical;
        }
        return result;
    }

    /// <summary>
    /// Options whose values are names from a registry rather than declared choices: their case is normalised the same way,
    /// while an unknown name is left to the command, whose message lists the known ones.
    /// </summary>
    private static readonly Dictionary<string, Func<string[]>> NamedValues = new()
    {
        ["--strategy"] = () => Eslm.Selection.StrategyRegistry.Names.ToArray(),
    };

    private static string[] Choices(Option<string> option) =>
        option.GetCompletions(CompletionContext.Empty).Select(c => c.Label).ToArray();

    /// <summary>`--data A --out x.json` on a command without --out: "--out" is a mistyped option, never a dataset named "--out".</summary>
    private static void NoOptionLikeValues(OptionResult result)
    {
        foreach (var token in result.Tokens)
            if (token.Value.StartsWith("--", StringComparison.Ordinal) && token.Value.Length > 2)
            {
                result.AddError($"{result.Option.Name}: '{token.Value}' is not a value but an option this command does not have");
                return;
            }
    }
}
