using Eslm.IO;
using System.CommandLine;
using System.Diagnostics;
using Eslm.Experiments;
using Eslm.Reporting;

namespace Eslm.Cli.Commands;

/// <summary>
/// `eslm demo`: the whole story on a fresh machine in minutes: prepare the built-in corpus into a clean and a noisy dataset,
/// train a small Rho-1 reference on clean, run a matched-budget experiment (clm, eslm loss, eslm entropy, random, rho1) on a
/// tiny model on noisy data, and write the report with plots. Idempotent: finished steps are reused.
/// </summary>
public static class DemoCommand
{
    public static readonly (string Recipe, string Folder)[] Datasets = [("builtin-clean", "data/demo/clean"), ("builtin-noisy", "data/demo/noisy")];

    public static Command Create()
    {
        var experiment = new Option<string>("--experiment") { Description = "Experiment file", DefaultValueFactory = _ => "experiments/demo.json" };
        var output = new Option<string>("--out", "-o") { Description = "Experiment directory", DefaultValueFactory = _ => "runs/demo" };
        var publish = new Option<string?>("--publish") { Description = "Also copy report.md, summary.json and plots/ into this folder (e.g. docs/demo)" };
        var threads = new Option<int?>("--threads") { Description = "Threads (0 = all cores; default: the experiment file's, else all cores)" };
        var seeds = new Option<int?>("--seeds")
        {
            Description = "Run every arm with seeds 1…N (default: the experiment file's); with N > 1 the report gives 95% intervals and paired " +
                          "differences to clm. Finished seeds are reused",
        };
        var command = new Command("demo", "Prepare the built-in clean and noisy corpora, train a Rho-1 reference on clean, compare clm, eslm (loss, entropy), " +
                                          "random and rho1 on a tiny model at matched accounted FLOPs, and write runs/demo/report.md with plots. Re-running reuses finished work.");
        foreach (var o in new Option[] { experiment, output, publish, threads, seeds }) command.Options.Add(o);
        command.SetAction(r => CliRunner.Run(() =>
        {
            var clock = Stopwatch.StartNew();
            var (spec, dir, target) = CheckOptions(r, experiment, output, publish, threads, seeds);
            CliRunner.ConfigureThreads(spec.Train.Threads);
            foreach (var (recipe, folder) in Datasets)
            {
                if (File.Exists(Path.Combine(folder, "manifest.json"))) { Console.Error.WriteLine($"demo: {folder} is prepared already"); continue; }
                Console.Error.WriteLine($"demo: preparing {recipe} → {folder}");
                Invoke("prepare", "--recipe", recipe, "--output", folder, "--val-fraction", "0.15");
            }
            Console.Error.WriteLine($"demo: {Progress(clock)} experiment {spec.Name} ({spec.Arms.Count} arms, {spec.ModelName}, budget {spec.Budget.Name} {Budget.Format(spec.Budget.Value)}, seeds {string.Join(", ", spec.Seeds)})");
            string report = ExperimentCommand.Run(spec, dir);
            if (target is not null) Publish(dir, target);
            Console.Error.WriteLine($"demo: done in {Progress(clock)}; report {report}, plots in {Path.Combine(dir, ExperimentReport.PlotFolder)}");
            Console.WriteLine(report);
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// Every option checked before the demo prepares or trains anything (docs/cli-rules.md): the counts' ranges, the experiment
    /// file and its task files, and the outputs: --out a folder apart from what the demo reads, --publish a folder apart from
    /// --out (it copies report.md out of it; the same folder fails at the end, mid-copy). Returns the experiment with the
    /// seeds and threads of the command line, --out and --publish.
    /// </summary>
    private static (ExperimentSpec Spec, string Dir, string? Publish) CheckOptions(ParseResult r, Option<string> experiment, Option<string> output,
        Option<string?> publish, Option<int?> threads, Option<int?> seeds)
    {
        if (r.GetValue(seeds) is < 1 and var n) throw new ArgumentException($"--seeds must be >= 1 (got {n}); leave it out for the experiment file's seeds");
        if (r.GetValue(threads) is < 0 and var t) throw new ArgumentException($"--threads must be >= 0 (got {t})");
        string file = r.GetValue(experiment)!, user = Environment.CurrentDirectory;
        MoveToRepositoryRoot(file);
        // Paths the user typed stay relative to where the user is, also when the demo moved to the repository; the default --out is the repository's.
        string FromUser(string path) => Environment.CurrentDirectory == user ? path : Path.GetFullPath(path, user);
        string dir = UnusedOptions.Given(r, output) ? FromUser(r.GetValue(output)!) : r.GetValue(output)!;
        string? target = r.GetValue(publish) is { } p ? FromUser(p) : null;
        var spec = WithSeeds(ExperimentSpec.Load(file), r.GetValue(seeds) ?? 0);
        foreach (var w in spec.Warnings) Console.Error.WriteLine($"eslm: warning: {file}: {w}");
        spec = spec.WithThreads(r.GetValue(threads) ?? spec.Train.Threads);
        foreach (var task in spec.Tasks.Where(t => !File.Exists(t.File)))
            throw new FileNotFoundException($"{task.File}: task file missing (rebuild with `eslm prepare --recipe builtin-clean --val-fraction 0.15 --out data/demo/clean` " +
                                            "and `eslm tasks build --data data/demo/clean --name builtin-clean --out assets/tasks`, docs/experiments.md)");
        OutputFiles.RequireFolderName(dir);
        OutputFiles.RequireApartFromInputs(dir, Inputs(spec, file));
        if (target is null) return (spec, dir, null);
        OutputFiles.RequireFolderName(target);
        if (OutputFiles.Overlap(target, dir) is not OutputFiles.PathOverlap.None and var overlap)
            throw new ArgumentException($"--publish {target}: {OutputFiles.Describe(overlap)} the experiment folder {dir} (--out) that the report is copied from; choose a folder apart from it");
        OutputFiles.RequireApartFromInputs(target, Inputs(spec, file));
        return (spec, dir, target);
    }

    /// <summary>What the demo reads: what its experiment reads (<see cref="ExperimentCommand.InputsOf"/>) and the demo's datasets.</summary>
    private static IEnumerable<string> Inputs(ExperimentSpec spec, string file) =>
        ExperimentCommand.InputsOf(spec, file).Concat(Datasets.Select(d => d.Folder)).Distinct();

    /// <summary>The experiment with seeds 1…<paramref name="count"/> (0: unchanged), in the file kept beside the runs too.</summary>
    private static ExperimentSpec WithSeeds(ExperimentSpec spec, int count)
    {
        if (count == 0) return spec;
        var seeds = Enumerable.Range(1, count).Select(i => (ulong)i).ToList();
        var source = (System.Text.Json.Nodes.JsonObject)spec.Source.DeepClone();
        source["seeds"] = new System.Text.Json.Nodes.JsonArray(seeds.Select(s => (System.Text.Json.Nodes.JsonNode)s).ToArray());
        return spec with { Seeds = seeds, Source = source };
    }

    private static string Progress(Stopwatch clock) => Durations.Format(clock.Elapsed);

    /// <summary>Runs another eslm command in this process; a failure stops the demo.</summary>
    private static void Invoke(params string[] args)
    {
        var root = Program.BuildRootCommand();
        if (!root.Subcommands.Any(c => c.Name == args[0]))
            throw new NotSupportedException($"the demo needs `eslm {args[0]}`, which this build does not have");
        int rc = Program.Parse(root, args).Invoke();
        if (rc != 0) throw new InvalidOperationException($"`eslm {string.Join(' ', args)}` failed (exit {rc})");
    }

    /// <summary>The demo's paths are relative to the repository: go there (from the current directory or the binary's).</summary>
    private static void MoveToRepositoryRoot(string experiment)
    {
        if (File.Exists(experiment)) return;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, experiment)))
            {
                Environment.CurrentDirectory = dir.FullName;
                return;
            }
        throw new FileNotFoundException($"{experiment}: experiment file not found (run the demo from the repository)");
    }

    private static void Publish(string dir, string target)
    {
        Directory.CreateDirectory(Path.Combine(target, ExperimentReport.PlotFolder));
        // Each file replaced whole (cli-rules.md): a reader of the published folder never sees half a report or plot.
        AtomicFile.Copy(Path.Combine(dir, ExperimentReport.ReportFile), Path.Combine(target, ExperimentReport.ReportFile), flushToDisk: false);
        AtomicFile.Copy(Path.Combine(dir, SummaryJson.FileName), Path.Combine(target, SummaryJson.FileName), flushToDisk: false);
        foreach (var png in Directory.GetFiles(Path.Combine(dir, ExperimentReport.PlotFolder), "*.png"))
            AtomicFile.Copy(png, Path.Combine(target, ExperimentReport.PlotFolder, Path.GetFileName(png)), flushToDisk: false);
        Console.Error.WriteLine($"demo: report and plots copied to {target}");
    }
}
