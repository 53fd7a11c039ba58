using System.CommandLine;
using Eslm.Data;

namespace Eslm.Cli;

/// <summary>
/// `--invalid-utf8 error|replace` of prepare, tokenize and show-selection: a string option with named values, like
/// --split-docs, so help shows the spelling the docs use and a bad value is a usage error listing them instead of naming
/// a .NET enum type.
/// </summary>
public static class InvalidUtf8Option
{
    public static Option<string> Create(string description)
    {
        var option = new Option<string>("--invalid-utf8") { Description = description, DefaultValueFactory = _ => "error" };
        option.AcceptOnlyFromAmong("error", "replace");
        return option;
    }

    public static InvalidUtf8 Value(ParseResult r, Option<string> option) => r.GetValue(option) == "replace" ? InvalidUtf8.Replace : InvalidUtf8.Error;
}
