using System.CommandLine;

namespace Eslm.Cli;

/// <summary>
/// An option that can have no effect in the combination given is refused (exit 2) with one line naming it and what
/// makes it useless, never dropped without a word (docs/cli-rules.md, "Options"): the user meant it to do something.
/// </summary>
public static class UnusedOptions
{
    /// <summary>Whether the command line (or a --config file, which is expanded into it) gives the option.</summary>
    public static bool Given(ParseResult r, Option option) => r.GetResult(option) is { Implicit: false };

    /// <summary>Refuses each of <paramref name="options"/> that is given: "--x has no effect <paramref name="why"/>".</summary>
    public static void Refuse(ParseResult r, string why, params Option[] options)
    {
        foreach (var option in options)
            if (Given(r, option)) throw new ArgumentException($"{option.Name} has no effect {why}");
    }

    /// <summary>
    /// A --split given with a single token file (not a dataset folder) would be ignored: the file is read whole. Unknown
    /// split names are refused by the option's choices (train, val) before this.
    /// </summary>
    public static void RefuseSplitOfFile(ParseResult r, Option<string> split, string data)
    {
        if (Given(r, split) && File.Exists(data))
            throw new ArgumentException($"{split.Name} {r.GetValue(split)} has no effect with --data {data}: a single token file has no splits " +
                                        "and is read whole (leave --split out, or give the dataset folder)");
    }
}
