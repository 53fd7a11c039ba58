using System.CommandLine;
using System.Globalization;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;

using Eslm.Cli.Commands;

namespace Eslm.Cli;

public static class Program
{
    /// <summary>Every subcommand, one file each under Commands/.</summary>
    public static RootCommand BuildRootCommand()
    {
        var root = new RootCommand("Eslm: selective-token language-model pretraining (ESLM, Ada-ESLM, ESLM-KD, Rho-1) on the CPU.");
        foreach (var command in new Command[]
                 {
                     TrainCommand.Create(),
                     BenchCommand.Create(),
                     ScoreCommand.Create(),
                     ConvertCommand.Create(),
                     InspectCommand.Create(),
                     SampleCommand.Create(),
                     EvalCommand.Create(),
                     TasksCommand.Create(),
                     ExperimentCommand.Create(),
                     ShowSelectionCommand.Create(),
                     SelectionOverlapCommand.Create(),
                     DemoCommand.Create(),
                     DevCheckpointLoopCommand.Create(),
                     TokenizeCommand.Create(),
                     DataCommand.Create(),
                     PrepareCommand.Create(),
                     DevMpiSelfTestCommand.Create(),
                     DevDataCoverageCommand.Create(),
                 })
            root.Subcommands.Add(command);
        // Expanded before parsing (ConfigFile); declared so that every command's --help lists it.
        root.Options.Add(new Option<string?>(ConfigFile.Flag)
        {
            Description = "Option values from a JSON file: option names (kebab- or snake_case), or a run's run.json to repeat it; the command line wins",
            Recursive = true,
        });
        OptionRules.Apply(root);
        return root;
    }

    public static int Main(string[] args)
    {
        // Numbers read and written the same way whatever the locale (docs/cli-rules.md): 0.5 is never printed "0,5", and
        // nothing formats with the user's culture by accident. (The build's InvariantGlobalization does this for the process;
        // this holds it for a host that sets a culture, such as the tests.)
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.DefaultThreadCurrentUICulture = CultureInfo.InvariantCulture;
        var root = BuildRootCommand();
        string[] expanded;
        try { expanded = ConfigFile.Expand(root, args); }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException)
        {
            Console.Error.WriteLine($"eslm: error: {ErrorText.Of(e)}");
            return 2; // a config file is part of the command line
        }
        try { expanded = OptionRules.CanonicalChoices(root, expanded); }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"eslm: error: {e.Message}");
            return 2;
        }
        // Exit 2 means the command line is wrong (docs/cli-rules.md): parse errors too, not only failed option checks.
        var parsed = Parse(root, expanded);
        if (parsed.Errors.Count > 0 && parsed.Action is ParseErrorAction) return ParseError(parsed);
        int code = parsed.Invoke();
        return parsed.Errors.Count > 0 && code != 0 ? 2 : code;
    }

    /// <summary>
    /// Parses as every eslm command line is parsed: with no response files, so a value that starts with '@'
    /// (`sample --prompt @you`) is that value, never a file read in its place. Eslm has no use for them.
    /// </summary>
    public static ParseResult Parse(Command root, IReadOnlyList<string> args) =>
        root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });

    /// <summary>
    /// A parse error is one line in Eslm's words, like every other error (System.CommandLine would print its message,
    /// which may span lines, and then the whole help).
    /// </summary>
    private static int ParseError(ParseResult parsed)
    {
        string message = string.Join(" ", parsed.Errors[0].Message.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(p => p.Trim()));
        var names = new List<string>();
        for (var c = parsed.CommandResult; c is { Command: not RootCommand }; c = c.Parent as CommandResult) names.Insert(0, c.Command.Name);
        string help = string.Join(" ", new[] { "eslm" }.Concat(names).Append("--help"));
        Console.Error.WriteLine($"eslm: error: {message} (see `{help}`)");
        return 2;
    }
}
