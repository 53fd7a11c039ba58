using System.CommandLine;
using Eslm.Experiments;
using Eslm.Reporting;
using Eslm.Distributed;

namespace Eslm.Cli.Commands;

/// <summary>`eslm experiment run FILE.json` and `eslm experiment report DIR`: matched-budget comparisons of selection strategies.</summary>
public static class ExperimentCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "Experiment file (JSON): model, train, data, budget, seeds, arms, eval, tasks (docs/experiments.md)" };
        var output = new Option<string?>("--out", "-o") { Description = "Experiment directory (default: runs/<name>)" };
        var threads = new TrainCliOptions(["threads"]); // declared in TrainOptions; also a key of the file's "train"
        var onlyModels = new Option<string[]>("--model")
        {
            Description = "Run only this model of an experiment with \"models\" (repeatable); other processes may run the others at the same time " +
                          "once the reference is trained",
            AllowMultipleArgumentsPerToken = false,
        };
        var onlySeeds = new Option<ulong[]>("--seed")
        {
            Description = "Run only this seed of the experiment (repeatable), e.g. one whole seed per sitting of a long study; the report still covers every seed",
            AllowMultipleArgumentsPerToken = false,
        };
        var onlyArms = new Option<string[]>("--arm")
        {
            Description = "Run only this arm (repeatable; the baseline-only budgets belong to the baseline arm), e.g. more seeds for plain training " +
                          "and one rule; the report covers every finished run and lists what is left",
            AllowMultipleArgumentsPerToken = false,
        };
        var run = new Command("run", "Run every arm × seed on the same data until the matched budget is spent, evaluate, and write report.md with plots. " +
                                     "Running again skips finished arms and resumes a half-finished one from its checkpoint.");
        run.Arguments.Add(file);
        run.Options.Add(output);
        threads.AddTo(run);
        run.Options.Add(onlyModels);
        run.Options.Add(onlySeeds);
        run.Options.Add(onlyArms);
        var worker = new Option<bool>("--worker")
        {
            Description = "Share the experiment with other --worker processes (e.g. one per core, with --threads 1): each arm × seed is claimed " +
                          "while it runs and others skip it; every process on the experiment must be a worker",
        };
        run.Options.Add(worker);
        // Under mpirun every rank runs every arm on its slice of the data (docs/distributed.md); rank 0 writes and reports.
        run.SetAction(r => MpiCli.Run(processes =>
        {
            var spec = ExperimentSpec.Load(r.GetValue(file)!);
            // --threads wins over the file's "train": {"threads"}; every arm's run.json records the count it ran with
            spec = spec.WithThreads(threads.Resolve(r, spec.Train).Threads);
            CliRunner.ConfigureThreads(spec.Train.Threads == 0 && Eslm.Distributed.MpiLaunch.UnderMpirun ? Eslm.Distributed.MpiLaunch.DefaultThreads : spec.Train.Threads);
            string dir = r.GetValue(output) ?? Path.Combine("runs", spec.Name);
            OutputFiles.RequireFolderApartFromInputs(dir, InputsOf(spec, r.GetValue(file)!));
            if (processes.Rank == 0) foreach (var w in spec.Warnings) Console.Error.WriteLine($"eslm: warning: {r.GetValue(file)}: {w}");
            if (processes.Rank == 0 && (spec.Arms.Any(a => a.Train.Precision == Eslm.Tensors.Precision.Bf16) || spec.Reference?.Train.Precision == Eslm.Tensors.Precision.Bf16))
                PrecisionOption.WarnIfSlowerThanFp32(Eslm.Tensors.Precision.Bf16);
            if (processes.Rank == 0)
                Console.Error.WriteLine($"eslm experiment: {spec.Name}: {spec.Arms.Count} arms × {spec.Seeds.Count} seeds" +
                                        (spec.LearningRates is { } lrs ? $" × {lrs.Count} learning rates" : "") +
                                        (spec.Points.Count == 1 ? $", {spec.ModelName} ({spec.Model}), budget {spec.Budget.Name} {Budget.Format(spec.Budget.Value)}"
                                            : $" × {spec.Points.Count} model-budget points ({string.Join("; ", spec.Points.Select(p => p.Label + (p.BaselineOnly ? " baseline only" : "")))})") +
                                        $", {ExperimentRunner.Runs(spec, spec.Points).Count()} runs → {dir}" +
                                        (processes.Size > 1 ? $"; {processes.Size} processes, batch {spec.Train.BatchSize} per process" : ""));
            var filter = r.GetValue(onlyModels) is { Length: > 0 } m ? m : null;
            if (r.GetValue(worker) && processes.Size > 1) throw new ArgumentException("--worker shares an experiment between independent processes; under mpirun every rank already runs every arm");
            var seedFilter = r.GetValue(onlySeeds) is { Length: > 0 } sd ? sd : null;
            var armFilter = r.GetValue(onlyArms) is { Length: > 0 } ar ? ar : null;
            string report = Run(spec, dir, processes, filter, r.GetValue(worker), seedFilter, armFilter);
            if (processes.Rank == 0) Console.WriteLine(report);
            return 0;
        }));

        var dir = new Argument<string>("DIR") { Description = "Experiment directory (holds experiment.json)" };
        var report = new Command("report", "Rebuild report.md, summary.json and the plots of an experiment directory from its logs.");
        report.Arguments.Add(dir);
        report.SetAction(r => CliRunner.Run(() =>
        {
            Console.WriteLine(ExperimentReport.Write(r.GetValue(dir)!));
            return 0;
        }));

        var command = new Command("experiment", "Matched-budget comparisons of selection strategies with a report and plots.");
        command.Subcommands.Add(run);
        command.Subcommands.Add(report);
        return command;
    }

    /// <summary>
    /// What the experiment reads: the file itself (a copy inside the folder would be rewritten, and changes would be checked
    /// against themselves), every dataset, task file and arm's model or sidecar; "@reference" is the experiment's own output.
    /// </summary>
    public static IEnumerable<string> InputsOf(ExperimentSpec spec, string specFile)
    {
        var data = new[] { spec.Data, spec.ValidationData, spec.Reference?.Data }.OfType<string>().Concat(spec.Eval.Select(e => e.Data));
        var models = spec.Arms.SelectMany(a => Eslm.Selection.SelectionBinding.Paths(a.Selection)).Select(p => p.Path)
            .Where(p => p != ExperimentSpec.ReferenceName && !p.StartsWith("preset:", StringComparison.Ordinal));
        return [specFile, .. data.SelectMany(DataSources.PathsOf), .. spec.Tasks.Select(t => t.File), .. models];
    }

    /// <summary>Runs (or resumes) an experiment with the CLI's data and progress; returns the report's path.</summary>
    public static string Run(ExperimentSpec spec, string directory, IDistributed? processes = null, IReadOnlyCollection<string>? models = null,
        bool worker = false, IReadOnlyCollection<ulong>? seeds = null, IReadOnlyCollection<string>? arms = null)
    {
        using var cancel = new CancellationTokenSource();
        return new ExperimentRunner(spec, directory, new CliExperimentHost(processes), models, worker, seeds, arms).Run(cancel.Token);
    }
}
