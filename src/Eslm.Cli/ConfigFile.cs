using System.CommandLine;

namespace Eslm.Cli;

/// <summary>
/// `--config FILE.json` (any command): option values from a file. Accepts a flat object of option names, kebab-case or
/// snake_case ({"model": "d6", "grad_accum": 2, "strategy": "eslm", "alpha": 0.5}), the printed resolved configuration,
/// and a run's run.json, so `eslm train --config runs/x/run.json --out runs/y` repeats a past run (see
/// <see cref="OptionFile"/>). Values given on the command line win; so does a model named there (--model, --init-from):
/// a run.json's architecture is then not applied. Unknown keys are errors in a flat file; a run.json's keys that this
/// command does not take are skipped with a warning. Implemented as argument expansion before parsing, so every command
/// (nested ones such as `tasks build` too) gets it and --help stays generated.
/// </summary>
public static class ConfigFile
{
    public const string Flag = "--config";

    /// <summary>Options that name the model: given on the command line, a run.json's architecture would contradict them.</summary>
    private static readonly string[] ModelChoices = ["--model", "--init-from"];

    public static string[] Expand(RootCommand root, string[] args)
    {
        // After "--" every token is an argument, "--config" included.
        int end = Array.IndexOf(args, "--");
        if (end < 0) end = args.Length;
        var (at, width, path) = Locate(args, end);
        if (at < 0) return args;
        var options = args[..end].Where((_, i) => i < at || i >= at + width).ToList();
        var (command, name) = Resolve(root, options);
        var json = OptionFile.Read(path, "config file");
        bool runJson = OptionFile.IsRunJson(json);

        var given = new HashSet<string>(options.Where(a => a.StartsWith('-')).Select(OptionName));
        bool modelGiven = ModelChoices.Any(given.Contains);
        var injected = new List<string>();
        var skipped = new List<string>();
        foreach (var entry in OptionFile.Entries(json, architecture: !modelGiven))
        {
            var option = OptionFile.Find(command, entry.Flag);
            if (option is null)
            {
                if (runJson) { skipped.Add(entry.Key); continue; }
                throw new InvalidDataException($"{path}: unknown key '{entry.Key}' for `eslm {name}` (see `eslm {name} --help`)");
            }
            if (given.Contains(option.Name) || option.Aliases.Any(given.Contains)) continue;
            // --init-from takes its model's architecture unless --model is given: the file's --model would override it.
            if (option.Name == "--model" && modelGiven) continue;
            injected.AddRange(OptionFile.Tokens(option, entry, path));
        }
        if (skipped.Count > 0)
            Console.Error.WriteLine($"eslm: warning: {path}: `eslm {name}` takes no option for {string.Join(", ", skipped)}; skipped");
        return [.. options, .. injected, .. args[end..]];
    }

    /// <summary>
    /// Where --config is (its index, how many tokens it spans, the file), or index -1. Written "--config FILE",
    /// "--config=FILE" or "--config:FILE" (System.CommandLine's delimiters); a second one is refused, not ignored.
    /// </summary>
    private static (int At, int Width, string Path) Locate(string[] args, int end)
    {
        var found = Enumerable.Range(0, end).Where(i => OptionName(args[i]) == Flag).ToList();
        if (found.Count == 0) return (-1, 0, "");
        if (found.Count > 1) throw new ArgumentException("--config is given twice: pass one file (options on the command line override its values)");
        int at = found[0];
        if (args[at] != Flag) return (at, 1, args[at][(Flag.Length + 1)..] is { Length: > 0 } inline ? inline : throw NeedsFile());
        if (at + 1 >= end) throw NeedsFile();
        return (at, 2, args[at + 1]);
    }

    private static ArgumentException NeedsFile() => new("--config needs a file");

    /// <summary>The command the tokens name, down to the deepest subcommand (`tasks build`), and its name for messages.</summary>
    private static (Command Command, string Name) Resolve(RootCommand root, List<string> tokens)
    {
        Command command = root;
        var names = new List<string>();
        foreach (var token in tokens)
        {
            var sub = command.Subcommands.FirstOrDefault(c => c.Name == token || c.Aliases.Contains(token));
            if (sub is null) break;
            command = sub;
            names.Add(sub.Name);
        }
        if (command == root) throw new ArgumentException("--config must follow a command, e.g. `eslm train --config run.json`");
        return (command, string.Join(' ', names));
    }

    /// <summary>An option token's name without an inline value: "--steps=3" and "--steps:3" → "--steps".</summary>
    private static string OptionName(string token)
    {
        int delimiter = token.StartsWith('-') ? token.IndexOfAny(['=', ':']) : -1;
        return delimiter > 0 ? token[..delimiter] : token;
    }
}
