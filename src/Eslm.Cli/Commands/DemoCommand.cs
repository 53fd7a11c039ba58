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
        var publish = new Option<string?>("--publish") { Description = "Also copy report.md and plots/ into this folder (e.g. docs/demo)" };
        var threads = new Option<int>("--threads") { Description = "Threads (0 = all cores)", DefaultValueFactory = _ => 0 };
        var seeds = new Option<int>("--seeds")
        {
            Description = "Run every arm with seeds 1…N (default: the experiment file's); with N > 1 the report gives 95% intervals and paired " +
                          "differences to clm. Finished seeds are reused",
            DefaultValueFactory = _ => 0,
        };
        var command = new Command("demo", "Prepare the built-in clean and noisy corpora, train a Rho-1 reference on clean, compare clm, eslm (loss, entropy), " +
                                          "random and rho1 on a tiny model at matched accounted FLOPs, and write runs/demo/report.md with plots. Re-running reuses finished work.");
        foreach (var o in new Option[] { experiment, output, publish, threads, seeds }) command.Options.Add(o);
        command.SetAction(r => CliRunner.Run(() =>
        {
            var clock = Stopwatch.StartNew();
            MoveToRepositoryRoot(r.GetValue(experiment)!);
            CliRunner.ConfigureThreads(r.GetValue(threads));
            foreach (var (recipe, folder) in Datasets)
            {
                if (File.Exists(Path.Combine(folder, "manifest.json"))) { Console.Error.WriteLine($"demo: {folder} is prepared already"); continue; }
                Console.Error.WriteLine($"demo: preparing {recipe} → {folder}");
                Invoke("prepare", "--recipe", recipe, "--output", folder, "--val-fraction", "0.15");
            }
            if (r.GetValue(seeds) < 0) throw new ArgumentException($"--seeds must be >= 1 (got {r.GetValue(seeds)})");
            var spec = WithSeeds(ExperimentSpec.Load(r.GetValue(experiment)!), r.GetValue(seeds));
            foreach (var task in spec.Tasks.Where(t => !File.Exists(t.File)))
                throw new FileNotFoundException($"{task.File}: task file missing (rebuild with `eslm tasks build --data data/builtin-clean --out assets/tasks`)");
            Console.Error.WriteLine($"demo: {Progress(clock)} experiment {spec.Name} ({spec.Arms.Count} arms, {spec.ModelName}, budget {spec.Budget.Name} {Budget.Format(spec.Budget.Value)}, seeds {string.Join(", ", spec.Seeds)})");
            string dir = r.GetValue(output)!;
            string report = ExperimentCommand.Run(spec, dir);
            if (r.GetValue(publish) is { } target) Publish(dir, target);
            Console.Error.WriteLine($"demo: done in {Progress(clock)}; report {report}, plots in {Path.Combine(dir, ExperimentReport.PlotFolder)}");
            Console.WriteLine(report);
            return 0;
        }));
        return command;
    }

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
        File.Copy(Path.Combine(dir, ExperimentReport.ReportFile), Path.Combine(target, ExperimentReport.ReportFile), overwrite: true);
        File.Copy(Path.Combine(dir, SummaryJson.FileName), Path.Combine(target, SummaryJson.FileName), overwrite: true);
        foreach (var png in Directory.GetFiles(Path.Combine(dir, ExperimentReport.PlotFolder), "*.png"))
            File.Copy(png, Path.Combine(target, ExperimentReport.PlotFolder, Path.GetFileName(png)), overwrite: true);
        Console.Error.WriteLine($"demo: report and plots copied to {target}");
    }
}
