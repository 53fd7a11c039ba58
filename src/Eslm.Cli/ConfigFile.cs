using System.CommandLine;

namespace Eslm.Cli;

/// <summary>
/// `--config FILE.json` (any command): option values from a file. Accepts a flat object of option names, kebab-case or
/// snake_case ({"model": "d6", "grad_accum": 2, "strategy": "eslm", "alpha": 0.5}), the printed resolved configuration,
/// and a run's run.json, so `eslm train --config runs/x/run.json --out runs/y` repeats a past run (see
/// <see cref="OptionFile"/>). Values given on the command line win. Unknown keys are errors in a flat file; a run.json's
/// keys that this command does not take are skipped with a warning. Implemented as argument expansion before parsing, so
/// every command gets it and --help stays generated.
/// </summary>
public static class ConfigFile
{
    public const string Flag = "--config";

    public static string[] Expand(RootCommand root, string[] args)
    {
        int at = Array.IndexOf(args, Flag);
        if (at < 0) return args;
        if (at + 1 >= args.Length) throw new ArgumentException("--config needs a file");
        string path = args[at + 1];
        var rest = args.Take(at).Concat(args.Skip(at + 2)).ToList();
        var command = rest.Count > 0 ? root.Subcommands.FirstOrDefault(c => c.Name == rest[0]) : null;
        if (command is null) throw new ArgumentException("--config must follow a command, e.g. `eslm train --config run.json`");
        var json = OptionFile.Read(path, "config file");
        bool runJson = OptionFile.IsRunJson(json);

        var given = new HashSet<string>(rest.Where(a => a.StartsWith('-')).Select(a => a.Split('=')[0]));
        var injected = new List<string>();
        var skipped = new List<string>();
        foreach (var entry in OptionFile.Entries(json))
        {
            var option = OptionFile.Find(command, entry.Flag);
            if (option is null)
            {
                if (runJson) { skipped.Add(entry.Key); continue; }
                throw new InvalidDataException($"{path}: unknown key '{entry.Key}' for `eslm {command.Name}` (see `eslm {command.Name} --help`)");
            }
            if (given.Contains(option.Name) || option.Aliases.Any(given.Contains)) continue;
            injected.AddRange(OptionFile.Tokens(option, entry, path));
        }
        if (skipped.Count > 0)
            Console.Error.WriteLine($"eslm: warning: {path}: `eslm {command.Name}` takes no option for {string.Join(", ", skipped)}; skipped");
        return rest.Concat(injected).ToArray();
    }
}
