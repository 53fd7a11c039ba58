using System.CommandLine;

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
                 })
            root.Subcommands.Add(command);
        // Expanded before parsing (ConfigFile); declared so that every command's --help lists it.
        root.Options.Add(new Option<string?>(ConfigFile.Flag)
        {
            Description = "Option values from a JSON file: option names (kebab- or snake_case), or a run's run.json to repeat it; the command line wins",
            Recursive = true,
        });
        return root;
    }

    public static int Main(string[] args)
    {
        var root = BuildRootCommand();
        string[] expanded;
        try { expanded = ConfigFile.Expand(root, args); }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException)
        {
            Console.Error.WriteLine($"eslm: error: {e.Message}");
            return 2; // a config file is part of the command line
        }
        // Exit 2 means the command line is wrong (docs/cli-rules.md): parse errors too, not only failed option checks.
        var parsed = root.Parse(expanded);
        int code = parsed.Invoke();
        return parsed.Errors.Count > 0 && code != 0 ? 2 : code;
    }
}
