using System.CommandLine;
using System.Text.Json.Nodes;
using Eslm.Distributed;
using Eslm.Training;
using Eslm.Data;
using Eslm.Model;
using Eslm.Selection.Strategies;

namespace Eslm.Cli.Commands;

/// <summary>
/// `eslm train`: pretrain on token shards with any selection strategy; JSONL metrics, validation, checkpoints, resume.
/// The training options' flags are generated from <see cref="TrainOptions"/> (<see cref="TrainCliOptions"/>), the
/// selection flags from the strategy registry; this file declares only the run's inputs and switches.
/// </summary>
public static class TrainCommand
{
    private sealed class Flags
    {
        public readonly ModelOptions Model = new();
        public readonly TrainCliOptions Train = new();
        public readonly SelectionCliOptions Selection = new();
        public readonly Option<string?> Data = new("--data") { Description = "Training data: a dataset folder (eslm prepare), an llm.c shard, or a raw uint16 token file (required unless --resume)" };
        public readonly Option<string?> ValData = new("--val-data") { Description = "Validation data (default: the val split of --data when it is a dataset folder)" };
        public readonly Option<string> Output = new("--out", "-o", "--output") { Description = "Run directory (metrics.jsonl, run.json, step-N checkpoints)", DefaultValueFactory = _ => "runs/train" };
        public readonly Option<bool> Resume = new("--resume") { Description = "Continue the run in --out from its latest complete checkpoint with every option its run.json records" };
        public readonly Option<bool> AllowChanges = new(ResumeDefaults.AllowChanges) { Description = "With --resume: accept options that differ from run.json (recorded in its \"changes\")" };
        public readonly Option<bool> Overwrite = new("--overwrite") { Description = "Start again in an --out that holds a run: remove its metrics, run.json and checkpoints first" };
        public readonly Option<string?> InitFrom = new("--init-from") { Description = "Start from a model's weights (fresh optimizer) and, unless --model is given, its architecture: a run or step folder, .safetensors, llm.c .bin or preset:NAME" };
        public readonly Option<string?> ContinueFrom = new("--continue-from") { Description = "Branch from a run's checkpoint (a run or step folder): its weights, AdamW moments and data position (so the same --data, --batch, --seq, --grad-accum and --sampling) and, unless --model is given, its architecture; this run's --steps, schedule and strategy count from step 0" };
        public readonly Option<bool> Verbose = new("--verbose") { Description = "Print the full resolved configuration (run.json's \"options\") at the start" };
    }

    public static Command Create()
    {
        var f = new Flags();
        var command = new Command("train", "Pretrain a GPT-2-style model, optionally on selected tokens only (see --strategy).");
        f.Model.AddTo(command);
        foreach (var o in new Option[] { f.Data, f.ValData, f.Output }) command.Options.Add(o);
        f.Train.AddTo(command);
        foreach (var o in new Option[] { f.Resume, f.AllowChanges, f.Overwrite, f.InitFrom, f.ContinueFrom, f.Verbose }) command.Options.Add(o);
        f.Selection.AddTo(command);
        // Under mpirun every rank runs this body (MpiCli: one failing rank aborts the job); docs/distributed.md.
        command.SetAction(r => MpiCli.Run(processes => Train(r, f, processes)));
        return command;
    }

    private static int Train(ParseResult r, Flags f, IDistributed processes)
    {
        bool talk = processes.Rank == 0; // rank 0 alone prints (and TrainingRun lets it alone write files)
        var (run, changes) = Resolve(r, f, processes);
        var train = run.Train;
        var trainSource = MpiCli.OpenSlice(processes, train.BatchSize, b => DataSources.OpenTrain(run.Data!, b, train.SequenceLength, train.Seed, train.Sampling));
        var validationGlobal = DataSources.ValidationFactory(run.ValidationData ?? run.Data!, run.ValidationData is not null, train.BatchSize * processes.Size,
            train.SequenceLength, train.ValidationBatches);
        Func<IBatchSource>? validation = validationGlobal is null ? null : () => MpiCli.Slice(processes, validationGlobal());
        string outDir = r.GetValue(f.Output)!;
        if (talk) WarnAboutWarmup(train); // after the data opened: a wrong --data is the one line a user sees
        if (talk) Announce(run, outDir, r.GetValue(f.Verbose));
        var bar = new ProgressReporter("train", train.Steps, "steps");
        var commPerStep = new List<double>(); // time in collectives per step (rank 0), validation excluded
        double commSoFar = 0;
        using var interrupted = talk ? new InterruptNotice(outDir) : null; // issue 21: says where a Ctrl-C left the run
        string final = TrainingRun.Run(new RunOptions
        {
            Model = run.Model, Train = train, Selection = run.Selection, OutputDirectory = outDir, Resume = r.GetValue(f.Resume),
            Overwrite = r.GetValue(f.Overwrite), Changes = changes, InitFrom = run.InitFrom, ContinueFrom = run.ContinueFrom, ModelName = run.ModelName, Data = run.Data,
            ValidationData = run.ValidationData, Distributed = processes, Warn = m => Console.Error.WriteLine($"eslm: warning: {m}"),
        }, trainSource, validation, ModelLoader.Load, p =>
        {
            interrupted?.Completed(p.Step);
            if (p.Train is not null)
            {
                if (processes is MpiDistributed m) { commPerStep.Add(m.CommunicationMilliseconds - commSoFar); commSoFar = m.CommunicationMilliseconds; }
                MpiCli.MaybeDieForTest(processes, p.Step);
            }
            if (!talk) return;
            if (p.Train is { } s)
                bar.Report(p.Step, $"| loss {s.Loss:F4} | lr {s.LearningRate:E1} | {s.Milliseconds:F0} ms/step | {s.TokensPerSecond:F0} tok/s" +
                                   (s.Strategy == ClmSelector.StrategyName ? "" : $" | kept {s.Selection.KeptFraction * 100:F0}%"));
            if (p.ValidationLoss is { } v) bar.Note($"step {p.Step}: val loss {v:F4} (ppl {Math.Exp(v):F1})");
            if (p.Checkpoint is { } c) bar.Note($"step {p.Step}: checkpoint {c}");
        });
        if (processes is MpiDistributed mpi && talk && commPerStep.Count > 0)
            Console.Error.WriteLine($"communication (rank 0): median {Median(commPerStep):F1} ms/step in collectives, incl. waiting for the slowest rank " +
                                    $"({mpi.Collectives} allreduces, {mpi.BytesReduced / 1e6:F1} MB reduced in all)");
        if (talk) Console.WriteLine(final);
        return 0;
    }

    /// <summary>
    /// What this run uses: the command line over the defaults, or with --resume over the run's recorded run.json (then
    /// also the options the command line changes, refused without --allow-changes). Everything is checked here, before a
    /// run folder exists.
    /// </summary>
    private static (RunRecord Run, JsonArray? Changes) Resolve(ParseResult r, Flags f, IDistributed processes)
    {
        bool resume = r.GetValue(f.Resume);
        string outDir = r.GetValue(f.Output)!;
        if (resume && r.GetValue(f.Overwrite)) throw new ArgumentException("--resume and --overwrite exclude each other: continue the run or start it again");
        if (r.GetValue(f.AllowChanges) && !resume) throw new ArgumentException($"{ResumeDefaults.AllowChanges} goes with --resume");
        var recorded = resume ? ResumeDefaults.Recorded(outDir) : null;
        var train = f.Train.Resolve(r, recorded?.Train ?? new TrainOptions());
        // "all cores" under mpirun = this host's cores shared by its ranks
        CliRunner.ConfigureThreads(train.Threads == 0 && MpiLaunch.UnderMpirun ? MpiLaunch.DefaultThreads : train.Threads);
        string? initFrom = InitFrom(r, f, recorded);
        string? continueFrom = ContinueFrom(r, f, recorded);
        if (initFrom is not null && continueFrom is not null)
            throw new ArgumentException("--init-from and --continue-from exclude each other: take a model's weights alone, or branch from a run's checkpoint");
        // the model a new run starts from, and the flag that named it (errors name it)
        var (startFrom, startFlag) = continueFrom is null ? (initFrom, "--init-from") : (continueFrom, "--continue-from");
        var (modelName, cfg) = ResolveModel(r, f, recorded, startFrom, startFlag);
        train = train.ForModel(cfg).Validate();
        if (train.Precision == Eslm.Tensors.Precision.Bf16) Eslm.Native.OneDnn.EnsureBf16();
        if (processes.Rank == 0) PrecisionOption.WarnIfSlowerThanFp32(train.Precision);
        TrainingMemory.Estimate(cfg, train.BatchSize, train.SequenceLength)
            .RequireFits($"training {modelName} ({cfg}) with B={train.BatchSize} T={train.SequenceLength}", TrainingMemory.MachineBytes);
        var sel = f.Selection.Resolve(r, recorded?.Selection);
        void Warn(string m) { if (processes.Rank == 0) Console.Error.WriteLine($"eslm: warning: {m}"); }
        f.Selection.CheckIgnored(r, sel, Warn, f.Train.Given(r, "backward") ? train.Backward : null); // a resumed run's recorded mode is not given
        // AuxiliaryModels refuses it too; checked here as well so a failed start creates no run folder.
        int proxyLayers = sel.Get<Eslm.Selection.Strategies.HierarchicalSettings>().ProxyLayers;
        if (proxyLayers > cfg.L) throw new ArgumentException($"--proxy-layers {proxyLayers} exceeds the model's {cfg.L} layers");
        foreach (var (flag, path) in Eslm.Selection.SelectionBinding.Paths(sel)) ModelLoader.CheckExists(path, flag);
        string data = r.GetValue(f.Data) ?? recorded?.Data ?? throw new ArgumentException("--data is required (the training data; or --resume a run)");
        string? valData = UnusedOptions.Given(r, f.ValData) ? r.GetValue(f.ValData) : recorded?.ValidationData;
        // --val-batches 0 turns validation off: the data is still checked, but never evaluated.
        if (train.ValidationBatches == 0 && UnusedOptions.Given(r, f.ValData))
            Warn($"--val-batches 0 turns validation off, so --val-data {valData} is never evaluated; it is ignored");
        if (train.ValidationBatches == 0 && f.Train.Given(r, "val_every"))
            Warn($"--val-batches 0 turns validation off, so --val-every {train.ValidationEvery} schedules nothing; it is ignored");
        if (r.GetValue(f.Overwrite)) RequireInputsOutsideRun(outDir, startFrom, startFlag, sel, data, valData);
        if (continueFrom is not null && recorded is null) BranchPoint.RequireSameWindows(continueFrom, data, train);
        DataSources.CheckVocabulary(data, cfg.VocabSize);
        if (valData is not null) DataSources.CheckVocabulary(valData, cfg.VocabSize);
        var run = new RunRecord
        {
            ModelName = modelName, Model = cfg, Data = data, ValidationData = valData, InitFrom = initFrom, ContinueFrom = continueFrom, Train = train, Selection = sel,
            Processes = processes.Size,
        };
        return (run, recorded is null ? null : ResumeDefaults.Changes(recorded, run, outDir, r.GetValue(f.AllowChanges)));
    }

    /// <summary>
    /// --init-from: a new run's starting weights. A resumed run continues from its own checkpoint and keeps the recorded
    /// value; another one would be ignored (and recorded as if used), so it is refused.
    /// </summary>
    private static string? InitFrom(ParseResult r, Flags f, RunRecord? recorded)
    {
        string? given = UnusedOptions.Given(r, f.InitFrom) ? r.GetValue(f.InitFrom) : null;
        if (recorded is null || given is null) return given ?? recorded?.InitFrom;
        if (RunRecord.LocatedPath(given) != RunRecord.LocatedPath(recorded.InitFrom))
            throw new ArgumentException($"--init-from {given}: a resumed run continues from its own checkpoint (it started from " +
                                        $"{recorded.InitFrom ?? "random weights"}); leave out --init-from, or start a new run");
        return recorded.InitFrom;
    }

    /// <summary>
    /// --continue-from: the checkpoint a new run branches from (a run folder's latest complete one, or a step folder). A
    /// resumed run continues its own checkpoint and keeps the recorded value; another one is refused, as for --init-from.
    /// </summary>
    private static string? ContinueFrom(ParseResult r, Flags f, RunRecord? recorded)
    {
        string? given = UnusedOptions.Given(r, f.ContinueFrom) ? r.GetValue(f.ContinueFrom) : null;
        if (recorded is not null)
        {
            if (given is not null && RunRecord.LocatedPath(BranchPoint.Checkpoint(given)) != RunRecord.LocatedPath(recorded.ContinueFrom))
                throw new ArgumentException($"--continue-from {given}: a resumed run continues from its own checkpoint (it branched from " +
                                            $"{recorded.ContinueFrom ?? "no run"}); leave out --continue-from, or start a new run");
            return recorded.ContinueFrom;
        }
        return given is null ? null : BranchPoint.Checkpoint(given);
    }

    /// <summary>--overwrite removes the run's files first: refused when one of them is or holds a model or data the new run reads (a checkpoint of the old run as --init-from).</summary>
    private static void RequireInputsOutsideRun(string outDir, string? startFrom, string startFlag, Eslm.Selection.SelectionOptions sel, string data, string? valData)
    {
        var inputs = ModelLoader.FilesRead(startFrom).Select(p => (Flag: startFlag, Path: p))
            .Concat(Eslm.Selection.SelectionBinding.Paths(sel).SelectMany(s => ModelLoader.FilesRead(s.Path).Select(p => (s.Flag, Path: p))))
            .Append(("--data", data)).Concat(valData is null ? [] : [("--val-data", valData)]).ToList();
        foreach (string runFile in TrainingRun.RunFiles(outDir))
            foreach (var (flag, path) in inputs)
                if (OutputFiles.Overlap(runFile, path) is OutputFiles.PathOverlap.Same or OutputFiles.PathOverlap.Holds) // a data folder that also holds the run loses nothing it reads
                    throw new ArgumentException($"{outDir}: --overwrite would remove {runFile}, which this run reads ({flag}); copy it out of the run folder or choose another --out");
    }

    /// <summary>The architecture: --init-from's (or a resumed run's) unless --model is given; per-dimension flags override either.</summary>
    /// <summary>The model: a resumed run's recorded one, else the command line's over the architecture of the model a new run starts from (--init-from, --continue-from).</summary>
    private static (string Name, GptConfig Config) ResolveModel(ParseResult r, Flags f, RunRecord? recorded, string? startFrom, string flag)
    {
        if (recorded is not null) return f.Model.Resolve(r, recorded.Model, recorded.ModelName);
        ModelLoader.CheckExists(startFrom, flag);
        GptConfig? startConfig = null;
        if (startFrom is not null)
            using (var startModel = ModelLoader.Load(startFrom)) startConfig = startModel.Config;
        return f.Model.Resolve(r, startConfig, startFrom);
    }

    /// <summary>Issue 13: with warmup ≥ steps the learning rate never reaches --lr (the default warmup is 100 steps).</summary>
    private static void WarnAboutWarmup(TrainOptions train)
    {
        if (train.WarmupSteps >= train.Steps && train.Steps > 0)
            Console.Error.WriteLine($"eslm: warning: --warmup {train.WarmupSteps} >= --steps {train.Steps}: the learning rate never reaches --lr {train.LearningRate}; " +
                                    $"pass a smaller --warmup (e.g. --warmup {Math.Max(0, train.Steps / 10)})");
    }

    private static void Announce(RunRecord run, string outDir, bool verbose)
    {
        var t = run.Train;
        Console.Error.WriteLine($"eslm train: {run.ModelName} ({run.Model}), strategy {run.Selection.Strategy}, B={t.BatchSize} T={t.SequenceLength} " +
                                $"accum={t.GradientAccumulation}, {t.Steps} steps → {outDir}");
        if (run.Processes > 1)
            Console.Error.WriteLine($"distributed: {run.Processes} processes (Open MPI), {Eslm.Tensors.Parallelism.Threads} thread(s) each, " +
                                    $"global batch {run.Processes * t.BatchSize} sequences, selection scope {run.Selection.Scope.ToString().ToLowerInvariant()}");
        // Issue 13: the full configuration is run.json's "options"; one short line unless --verbose.
        Console.Error.WriteLine(verbose ? $"resolved configuration: {run.OptionsJson().ToJsonString()}"
            : $"configuration: {Path.Combine(outDir, TrainingRun.ConfigFile)} (--verbose prints it)");
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
