using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Eslm.Checkpoints;
using Eslm.Evaluation;
using Eslm.Model;
using Eslm.Selection;
using Eslm.Tensors;
using Eslm.Training;
using Eslm.IO;

namespace Eslm.Experiments;

/// <summary>
/// Runs an experiment: (optionally) the reference model, then every arm × seed on the same data order, each until the
/// matched budget is spent, then the final evaluation; then the report. Every unit of work leaves a marker, so running
/// again skips finished arms and resumes a half-finished one from its latest checkpoint.
/// <para>Layout: DIR/experiment.json (the spec as read), DIR/reference/ (run + done.json, and the reference's loss sidecar
/// when an arm reads it), DIR/[MODEL/][budget-B/]ARM/seedK/ (metrics.jsonl, run.json, step-N checkpoints, eval.json when
/// finished; the MODEL and budget levels exist when the file lists "models" / "budgets"), DIR/report.md, DIR/plots/*.png.</para>
/// </summary>
/// <param name="models">Run only these models of a "models" experiment (null = all): separate processes can then share
/// one experiment, each locking its models' folders.</param>
/// <param name="worker">Share the (selected) runs with other worker processes: instead of locking whole folders, each
/// arm × seed is claimed while it trains and evaluates, and runs another worker has claimed are skipped. Every process on
/// the experiment must then be a worker; one that is not is detected by its folder lock.</param>
/// <param name="seeds">Run only these seeds (null = all): a study run in parts can finish whole seeds per sitting (issue 23),
/// so that each seed's runs, whose wall-clock the multiplier pairs, are timed on one machine.</param>
/// <param name="arms">Run only these arms (null = all; the baseline-only budgets belong to the baseline arm): more seeds for
/// the arms a question turns on (say plain training and a control) without paying for every arm's.</param>
public sealed class ExperimentRunner(ExperimentSpec spec, string directory, IExperimentHost host, IReadOnlyCollection<string>? models = null,
    bool worker = false, IReadOnlyCollection<ulong>? seeds = null, IReadOnlyCollection<string>? arms = null)
{
    public const string SpecFile = "experiment.json", EvalFile = "eval.json", DoneFile = "done.json";

    public ExperimentSpec Spec { get; } = spec;
    public string Directory { get; } = directory;

    /// <summary>Arms trained by this call (finished ones found on disk are not counted).</summary>
    public List<string> Trained { get; } = new();

    public static string SeedDirectory(string root, string arm, ulong seed) => Path.Combine(root, arm, $"seed{seed}");

    /// <summary>One arm × seed of one grid point (at one rate of an "lrs" experiment: an <c>lr-RATE/</c> level above the arm).</summary>
    public static string SeedDirectory(string root, GridPoint point, string arm, ulong seed, double? rate = null) =>
        SeedDirectory(Path.Combine(root, point.Folder, rate is { } r ? GridPoint.LearningRateFolder(r) : ""), arm, seed);

    /// <summary>Every run of the points: arm × seed × rate, the baseline alone at baseline-only points.</summary>
    public static IEnumerable<(GridPoint Point, ArmSpec Arm, ulong Seed, double? Rate)> Runs(ExperimentSpec spec, IEnumerable<GridPoint> points) =>
        from point in points from seed in spec.Seeds from arm in spec.ArmsAt(point) from rate in spec.RunRates select (point, arm, seed, rate);

    /// <summary>The reference's per-token losses over the training split (for arms with "reference_losses": "@reference").</summary>
    public const string ReferenceLossesFile = "train.reference-losses.bin";

    // Data-parallel (docs/distributed.md): every rank trains every arm; rank 0 alone writes files and evaluates.
    private bool Writer => host.Processes.Rank == 0;

    /// <summary>All ranks wait here (after rank 0 changed a directory the others are about to read).</summary>
    private void Sync()
    {
        if (host.Processes.Size > 1) host.Processes.AllReduceSum(stackalloc double[1]);
    }

    /// <summary>Runs what is not finished yet and writes the report; returns the report's path.</summary>
    public string Run(CancellationToken cancel = default)
    {
        var points = SelectedPoints();
        foreach (ulong s in seeds ?? [])
            if (!Spec.Seeds.Contains(s)) throw new ArgumentException($"{Spec.Name}: no seed {s} (the experiment has {string.Join(", ", Spec.Seeds)})");
        foreach (string a in arms ?? [])
            if (!Spec.Arms.Any(x => x.Name == a)) throw new ArgumentException($"{Spec.Name}: no arm '{a}' (the experiment has {string.Join(", ", Spec.Arms.Select(x => x.Name))})");
        _inputs.Check(); // before any folder is made: a bad input leaves nothing behind
        CheckBudgetsReachable(points);
        System.IO.Directory.CreateDirectory(Directory);
        var locks = Writer ? LockFolders(points) : [];
        try
        {
            if (Writer) ExperimentFileChanges.Write(Spec, Directory, host.Log);
            if (Writer) { CommittedRuns.WriteIgnoreFile(Directory); PackFinishedRuns(points); }
            // An arm filter that leaves out every arm using the reference does not train it (a plain run still does, for the report).
            bool referenceUnused = arms is not null && !Runs(Spec, points).Any(r => IsSelected(r) && ExperimentSpec.UsesReference(r.Arm));
            var (reference, losses) = Spec.Reference is null || referenceUnused ? (null, null) : TrainReference(points, cancel);
            // Smallest budgets first, so a partial study already has its first trend points.
            var runs = Runs(Spec, points.OrderBy(p => p.BudgetIndex)).Where(IsSelected).ToList();
            var unfinished = runs.Where(r => !IsFinished(r)).ToList();
            var sitting = new SittingProgress(unfinished.Select(r => r.Point.Budget.Value).ToList());
            foreach (var run in runs)
            {
                cancel.ThrowIfCancellationRequested();
                int k = unfinished.IndexOf(run); // −1: finished before this sitting started
                var (point, arm, seed, rate) = run;
                string? basis = k >= 0 ? BaseCheckpoint(point, seed, points, cancel) : null;
                var trained = RunArm(arm, seed, point, rate, reference, losses, basis, cancel, k >= 0 ? sitting.Label(k) + " " : "");
                if (k < 0) continue;
                if (trained is not { } t) sitting.Skipped(k);
                else if (sitting.Trained(k, t.Seconds, t.Share) is { } status) host.Log(status);
            }
            return Writer ? WriteReport(points) : Directory;
        }
        finally
        {
            foreach (var l in locks) l.Dispose();
        }
    }

    /// <summary>
    /// Issue 21: one lock discipline for every process on an experiment folder (docs/cli-rules.md, "Locks"). A plain run
    /// holds the experiment (and every model folder) exclusively, so no two write one folder; workers share those locks and
    /// claim each arm × seed, so a plain run is refused while any worker runs (naming their pids) and a worker is refused
    /// while a plain run holds the folder. With a model filter only that model's folders are locked, so one process per
    /// model can share the experiment. Each run folder is locked again by TrainingRun.
    /// </summary>
    private List<RunLock> LockFolders(List<GridPoint> points)
    {
        var modelFolders = Spec.HasModelAxis ? points.Select(p => Path.Combine(Directory, GridPoint.ModelFolder(p.ModelName))).Distinct() : [];
        var held = new List<RunLock>();
        try
        {
            foreach (string folder in models is null ? modelFolders.Prepend(Directory) : modelFolders)
                held.Add(worker ? RunLock.AcquireFolderShared(folder) : RunLock.AcquireFolder(folder, m => host.Log("eslm: warning: " + m)));
        }
        catch
        {
            foreach (var l in held) l.Dispose();
            throw;
        }
        return held;
    }

    /// <summary>
    /// Issue 21: with workers, the report is rebuilt by the last one to finish (the one that finds every run's eval.json),
    /// so a worker that finishes early cannot leave a report older than the results. The report itself is written under a
    /// lock (ExperimentReport.Write), so two rebuilds never interleave. Returns the report's path, or the directory when
    /// other workers are still running.
    /// </summary>
    private string WriteReport(List<GridPoint> points)
    {
        if (worker)
        {
            int left = Runs(Spec, points).Count(r => !IsFinished(r));
            if (left > 0)
            {
                host.Log($"{left} run{(left == 1 ? "" : "s")} not finished yet (other workers have them); the last worker to finish writes the report");
                return Directory;
            }
        }
        return host.WriteReport(Directory);
    }

    /// <summary>A run of the seeds and arms this call was asked for (all when unfiltered).</summary>
    private bool IsSelected((GridPoint Point, ArmSpec Arm, ulong Seed, double? Rate) r) =>
        (seeds is null || seeds.Contains(r.Seed)) && (arms is null || arms.Contains(r.Arm.Name));

    /// <summary>A run is finished when its eval.json exists (also a committed run without checkpoints).</summary>
    private bool IsFinished((GridPoint Point, ArmSpec Arm, ulong Seed, double? Rate) r) =>
        File.Exists(Path.Combine(SeedDirectory(Directory, r.Point, r.Arm.Name, r.Seed, r.Rate), EvalFile));

    /// <summary>The grid points this call runs: all, or those of the models asked for (each must exist).</summary>
    private List<GridPoint> SelectedPoints()
    {
        if (models is null) return Spec.Points.ToList();
        if (!Spec.HasModelAxis) throw new ArgumentException($"{Spec.Name}: a model filter needs an experiment with \"models\"");
        foreach (string m in models)
            if (!Spec.Points.Any(p => p.ModelName == m))
                throw new ArgumentException($"{Spec.Name}: no model '{m}' (the experiment has {string.Join(", ", Spec.Points.Select(p => p.ModelName).Distinct())})");
        return Spec.Points.Where(p => models.Contains(p.ModelName)).ToList();
    }


    /// <summary>
    /// Trains the reference model (for arms naming "@reference") unless done, and scores the training split with it when an
    /// arm reads its loss sidecar; returns its final checkpoint and the sidecar (or null: a committed reference without
    /// its checkpoint that no run left needs, <see cref="TrainedOnce"/>).
    /// </summary>
    private (string? Checkpoint, string? Losses) TrainReference(List<GridPoint> points, CancellationToken cancel)
    {
        string dir = Path.Combine(Directory, ReferenceFolder);
        string done = Path.Combine(dir, DoneFile);
        // Workers train (and score) the reference one at a time; the others wait for it, since every arm needs it.
        using var claim = worker && !(File.Exists(done) && File.Exists(Path.Combine(dir, ReferenceLossesFile))) ? WaitForClaim(dir, "reference") : null;
        var r = Spec.Reference!;
        int left = Runs(Spec, points).Count(x => IsSelected(x) && ExperimentSpec.UsesReference(x.Arm) && !IsFinished(x));
        string? checkpoint;
        (checkpoint, dir) = TrainedOnce(dir, "reference", left, into => TrainOnceInto(into, "reference", "experiment reference", r.ModelName, r.Model, r.Data, r.Train, cancel));
        if (checkpoint is null) return (null, null);
        if (!Spec.Arms.Any(ExperimentSpec.UsesReferenceLosses)) return (checkpoint, null);
        string losses = Path.GetFullPath(Path.Combine(dir, ReferenceLossesFile));
        if (Writer && !File.Exists(losses))
        {
            // Scored with the training window, so the sidecar's aligned windows are the ones training reads.
            host.Log($"reference: scoring the training split of {Spec.Data} (window {Spec.Train.SequenceLength}) → {losses}");
            using var model = host.LoadModel(checkpoint);
            var summary = ReferenceScorer.WriteSidecar(model, checkpoint, Spec.Data, "train", Spec.Train.SequenceLength, Spec.Train.BatchSize, losses);
            host.Log($"reference: scored {summary.Tokens:N0} tokens in {summary.Seconds:F1} s (mean reference loss {summary.MeanLoss:F4})");
        }
        Sync();
        return (checkpoint, losses);
    }

    /// <summary>Where a run trained once (the reference, a base) whose committed checkpoint is missing is trained again (ignored by the study's .gitignore).</summary>
    public const string RebuiltFolder = "rebuilt";

    /// <summary>The reference's folder inside the experiment's.</summary>
    public const string ReferenceFolder = "reference";

    /// <summary>
    /// A run the experiment trains once (the reference, a seed's base for a model): the checkpoint its done.json names, else trained
    /// into <paramref name="dir"/> by <paramref name="trainInto"/>. Issue 23: done.json names the checkpoint relative to
    /// the folder, so a committed study moves with its clone; a committed run has no checkpoint on a fresh machine, so it is
    /// trained again (into <see cref="RebuiltFolder"/>, beside the committed log it must not replace) only while
    /// <paramref name="runsLeft"/> runs need it. Returns the checkpoint (null when it is missing and no run needs it) and
    /// the folder holding it.
    /// </summary>
    private (string? Checkpoint, string Folder) TrainedOnce(string dir, string label, int runsLeft, Func<string, string> trainInto)
    {
        string checkpoint = File.Exists(Path.Combine(dir, DoneFile)) ? DoneMarker.Checkpoint(dir) : trainInto(dir);
        if (Writer) CommittedRuns.Pack(dir);
        if (System.IO.Directory.Exists(checkpoint) || File.Exists(checkpoint)) return (checkpoint, dir);
        if (runsLeft == 0) return (null, dir);
        string rebuilt = Path.Combine(dir, RebuiltFolder);
        host.Log($"{label}: its checkpoint {checkpoint} is not on this machine (a committed study?); {runsLeft} run{(runsLeft == 1 ? "" : "s")} left use it, " +
                 $"so it is trained again with the recorded options into {rebuilt}");
        return (File.Exists(Path.Combine(rebuilt, DoneFile)) ? DoneMarker.Checkpoint(rebuilt) : trainInto(rebuilt), rebuilt);
    }

    /// <summary>Trains (or resumes) a run trained once (the reference, a base) into <paramref name="dir"/> and marks it done; returns its final checkpoint.</summary>
    /// <param name="command">run.json's "command" ("experiment reference", "experiment base").</param>
    private string TrainOnceInto(string dir, string label, string command, string modelName, GptConfig model, string data, TrainOptions train, CancellationToken cancel)
    {
        host.Log($"{label}: {modelName} on {data}, {train.Steps} steps → {dir}");
        if (Writer) PrepareForResume(dir);
        Sync();
        var batches = host.OpenTrain(data, train.BatchSize, train.SequenceLength, train.Seed, train.Sampling);
        var validation = host.OpenValidation(data, train.BatchSize, train.SequenceLength, train.ValidationBatches);
        string final = Path.GetFullPath(TrainingRun.Run(new RunOptions
        {
            Model = model, Train = train, OutputDirectory = dir, Resume = true, Distributed = host.Processes,
            Command = command, ModelName = modelName, Data = data, Experiment = new JsonObject { ["name"] = Spec.Name },
        }, batches, validation, host.LoadModel, p => { if (p.Train is { } s) host.Progress(label, (double)p.Step / train.Steps, s); }, cancel));
        if (Writer) AtomicWrite(Path.Combine(dir, DoneFile), new JsonObject { ["checkpoint"] = Path.GetRelativePath(Path.GetFullPath(dir), final) }.ToJsonString());
        return final;
    }

    /// <summary>
    /// Continued pretraining: the base run of <paramref name="point"/>'s model for seed <paramref name="seed"/> (plain
    /// training, trained once, shared by every arm of that model and seed at every budget), or null when the experiment
    /// has no "base". Workers train one base at a time; the others wait.
    /// </summary>
    private string? BaseCheckpoint(GridPoint point, ulong seed, List<GridPoint> points, CancellationToken cancel)
    {
        if (Spec.Base is not { } b) return null;
        if (_bases.TryGetValue((point.ModelName, seed), out var known)) return known;
        string dir = BaseSpec.SeedDirectory(Directory, Spec, point, seed);
        string label = Spec.HasModelAxis ? $"{point.ModelName} base seed{seed}" : $"base seed{seed}";
        using var claim = worker && !File.Exists(Path.Combine(dir, DoneFile)) ? WaitForClaim(dir, label) : null;
        int left = Runs(Spec, points).Count(r => r.Seed == seed && r.Point.ModelName == point.ModelName && IsSelected(r) && !IsFinished(r));
        var train = b.Train with { Seed = seed };
        var (checkpoint, _) = TrainedOnce(dir, label, left, into => TrainOnceInto(into, label, "experiment base", point.ModelName, point.Model, Spec.Data, train, cancel));
        Sync();
        return _bases[(point.ModelName, seed)] = checkpoint;
    }

    private readonly Dictionary<(string Model, ulong Seed), string?> _bases = new();

    /// <summary>Trains and evaluates one run unless it is finished or another worker has it; returns its seconds and the share
    /// of its budget trained here (less than 1 when it resumed), or null when it did not train here.</summary>
    /// <param name="prefix">Put before its first log line: its place in this sitting ("[3/17] "), or empty.</param>
    /// <param name="basis">The seed's base checkpoint the run continues (continued pretraining), or null.</param>
    private (double Seconds, double Share)? RunArm(ArmSpec arm, ulong seed, GridPoint point, double? rate, string? reference, string? losses, string? basis,
        CancellationToken cancel, string prefix)
    {
        string dir = SeedDirectory(Directory, point, arm.Name, seed, rate);
        string label = string.Join("/", new[] { Spec.HasModelAxis ? point.ModelName : null, Spec.HasBudgetAxis ? GridPoint.BudgetFolder(point.Budget) : null,
            rate is { } r ? GridPoint.LearningRateFolder(r) : null, arm.Name, Spec.Seeds.Count > 1 ? $"seed{seed}" : null }.Where(x => x is not null));
        if (File.Exists(Path.Combine(dir, EvalFile))) { host.Log($"{label}: finished earlier, kept"); return null; }
        using var claim = worker ? Claim(dir, label) : null;
        if (worker && (claim is null || File.Exists(Path.Combine(dir, EvalFile)))) return null; // another worker has it, or just finished it
        var selection = SelectionBinding.Resolved(ExperimentSpec.WithReference(arm.Selection, reference, losses)).Validate();
        var budget = point.Budget;
        var train = budget.Kind == BudgetKind.Steps
            ? arm.Train with { Seed = seed, Steps = (int)budget.Value }
            : arm.Train with { Seed = seed, Steps = point.MaxSteps, ScheduleSteps = point.NominalSteps };
        if (rate is { } lr) train = train with { LearningRate = (float)lr };
        bool resuming = Writer && PrepareForResume(dir);
        double share = resuming ? 1 - Math.Clamp(SpentAtCheckpoint(dir, budget) / budget.Value, 0, 1) : 1;
        Sync();
        host.Log($"{prefix}{label}: {selection.Strategy}, budget {budget.Name} {Budget.Format(budget.Value)}{(resuming ? " (resuming)" : "")} → {dir}");

        var data = host.OpenTrain(Spec.Data, train.BatchSize, train.SequenceLength, seed, train.Sampling);
        var validation = host.OpenValidation(Spec.ValidationData ?? Spec.Data, train.BatchSize, train.SequenceLength, train.ValidationBatches);
        Func<Trainer, bool>? stop = budget.Kind == BudgetKind.Steps ? null : t => budget.Spent(t) >= budget.Value;
        Trainer? current = null; // captured for progress reports (the schedule position is asked for before every update)
        Func<Trainer, double>? position = budget.Kind == BudgetKind.Steps ? null : t => { current = t; return budget.Spent(t) / budget.Value * point.NominalSteps; };
        // run.json: the shape `eslm train` writes, plus where in the experiment this run sits
        var experiment = new JsonObject
        {
            ["name"] = Spec.Name, ["arm"] = arm.Name, ["budget"] = new JsonObject { [budget.Name] = budget.Value }, ["nominal_steps"] = point.NominalSteps,
        };
        if (rate is { } rr) experiment["lr"] = rr;
        if (point.BaselineOnly) experiment["baseline_only"] = true;
        if (basis is not null) experiment["continues"] = basis;
        var clock = Stopwatch.StartNew();
        string final = TrainingRun.Run(new RunOptions
        {
            Model = point.Model, Train = train, Selection = selection, OutputDirectory = dir, Resume = true, Distributed = host.Processes,
            Warn = m => host.Log("eslm: warning: " + m), StopWhen = stop, SchedulePosition = position, ContinueFrom = basis,
            Command = "experiment", ModelName = point.ModelName, Data = Spec.Data, ValidationData = Spec.ValidationData, Experiment = experiment,
        }, data, validation, host.LoadModel, p =>
        {
            if (p.Train is { } s)
                host.Progress(label, current is null ? (double)p.Step / Math.Max(1, train.Steps) : Math.Min(1, budget.Spent(current) / budget.Value), s);
        }, cancel);
        RequireBudgetSpent(dir, point, label, train.Steps);
        host.Log($"{label}: trained in {clock.Elapsed.TotalSeconds:F0} s; evaluating");
        cancel.ThrowIfCancellationRequested();
        if (Writer) // the final evaluation has no collectives: rank 0 runs it while the others go on to the next arm
        {
            var eval = Evaluate(final, label);
            AtomicWrite(Path.Combine(dir, EvalFile), eval.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            CommittedRuns.Pack(dir);
        }
        Trained.Add(label);
        return (clock.Elapsed.TotalSeconds, share);
    }

    /// <summary>
    /// A run that stopped at its step cap (<see cref="GridPoint.MaxSteps"/>) before spending its budget measured a smaller
    /// budget than the report would name: an error, with no eval.json, instead of a result under the wrong budget.
    /// </summary>
    private void RequireBudgetSpent(string dir, GridPoint point, string label, int cap)
    {
        var budget = point.Budget;
        if (budget.Kind == BudgetKind.Steps || !Writer) return; // only the writer has the checkpoints (under mpirun)
        double spent = SpentAtCheckpoint(dir, budget);
        if (spent >= budget.Value) return;
        throw new InvalidOperationException($"{label}: stopped at its step cap ({cap} steps; the schedule has {point.NominalSteps}) having spent " +
                                            $"{Budget.Format(spent)} of {budget.Name} {Budget.Format(budget.Value)}; raise \"steps\" in \"train\" (the schedule's " +
                                            "length at the first budget) to about the steps the budget takes");
    }

    /// <summary>
    /// A FLOP budget that even forward-only steps could not spend within the step cap would fail at its end, after
    /// hours: refused before anything trains (every step accounts at least the student's forward over all its tokens).
    /// </summary>
    private void CheckBudgetsReachable(List<GridPoint> points)
    {
        foreach (var point in points.Where(p => p.Budget.Kind == BudgetKind.FlopsAccounted))
            foreach (var arm in Spec.Arms)
            {
                double most = (double)point.MaxSteps * FlopAccounting.Forward(point.Model.ParameterCount, arm.Train.TokensPerStep);
                if (most < point.Budget.Value)
                    throw new ArgumentException($"{Spec.Name}: {point.Label}: arm {arm.Name} cannot spend it within its step cap ({point.MaxSteps} steps; " +
                                                $"the schedule has {point.NominalSteps}; at most {Budget.Format(most)}); raise \"steps\" in \"train\" " +
                                                "to about the steps the first budget takes");
            }
    }

    /// <summary>What a run had spent of its budget at the checkpoint it resumes from (its state.json's step and totals).</summary>
    private static double SpentAtCheckpoint(string dir, Budget budget)
    {
        var (_, state) = Checkpoint.ReadState(Checkpoint.ListComplete(dir)[^1].Path);
        double Total(string key) => state[key] is { } n ? n.GetValue<double>() : 0;
        return budget.Kind switch
        {
            BudgetKind.Steps => Total("step"),
            BudgetKind.FlopsAccounted => Total("total_flops_accounted"),
            BudgetKind.FlopsExecuted => Total("total_flops_executed"),
            _ => Total("total_milliseconds") / 1000.0,
        };
    }

    /// <summary>Issue 23: finished runs of older versions (or whose log changed) get their compressed log, the part a study commits.</summary>
    private void PackFinishedRuns(List<GridPoint> points)
    {
        foreach (var (point, arm, seed, rate) in Runs(Spec, points))
        {
            string dir = SeedDirectory(Directory, point, arm.Name, seed, rate);
            if (File.Exists(Path.Combine(dir, EvalFile))) CommittedRuns.Pack(dir);
        }
    }

    /// <summary>Claims one arm × seed for this worker (a lock beside its folder), or null when another worker holds it.</summary>
    private RunLock? Claim(string dir, string label)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(dir))!);
        try { return RunLock.AcquireFile(dir, m => host.Log("eslm: warning: " + m)); }
        catch (IOException) when (File.Exists(RunLock.FileForFile(dir)))
        {
            host.Log($"{label}: another worker is running it, skipped");
            return null;
        }
    }

    /// <summary>Claims <paramref name="dir"/> for this worker, waiting while another worker holds it.</summary>
    private RunLock WaitForClaim(string dir, string label)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(dir))!);
        try { return RunLock.AcquireFile(dir, m => host.Log("eslm: warning: " + m)); }
        catch (IOException) when (File.Exists(RunLock.FileForFile(dir)))
        {
            host.Log($"{label}: another worker is on it; waiting");
            return RunLock.AcquireWaiting(RunLock.FileForFile(dir), dir, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>
    /// A run directory without a complete checkpoint cannot be resumed (it was killed before its first one): clear it.
    /// Returns whether a resume will happen.
    /// </summary>
    private static bool PrepareForResume(string dir)
    {
        if (!System.IO.Directory.Exists(dir)) return false;
        if (Checkpoint.ListComplete(dir).Count > 0) return true;
        System.IO.Directory.Delete(dir, recursive: true);
        return false;
    }

    /// <summary>Final evaluation of one checkpoint: every eval set (all tokens of its validation split) and every task.</summary>
    private JsonObject Evaluate(string checkpoint, string label)
    {
        using var model = host.LoadModel(checkpoint);
        int B = Spec.Train.BatchSize, T = Spec.Train.SequenceLength;
        var sets = new JsonArray();
        foreach (var set in Spec.Eval)
        {
            var corpus = _inputs.Corpus(set.Data);
            var clock = Stopwatch.StartNew();
            var r = LossEvaluator.Evaluate(model, corpus, B, T, Spec.EvalMaxTokens);
            host.Log($"{label}: {set.Name} loss {r.Loss:F4} (ppl {r.Perplexity:F1}), worst domain {r.WorstDomain} {r.WorstDomainLoss:F4}, " +
                     $"{r.Tokens / clock.Elapsed.TotalSeconds:F0} tok/s");
            var json = EvalJson.Of(r);
            json["name"] = set.Name; json["data"] = set.Data; json["domain"] = set.InDomain ? "in" : "out";
            sets.Add(json);
        }
        var tasks = new JsonArray();
        foreach (var task in Spec.Tasks)
        {
            if (task.Task == "hellaswag")
            {
                var r = DownstreamTasks.EvaluateMultipleChoice(model, _inputs.MultipleChoice(task.File), host.Encode, B, window: T);
                host.Log($"{label}: {Path.GetFileName(task.File)} acc {r.Accuracy:F3} acc_norm {r.AccuracyNormalized:F3}");
                tasks.Add(new JsonObject { ["task"] = "hellaswag", ["file"] = task.File, ["items"] = r.Items, ["acc"] = r.Accuracy, ["acc_norm"] = r.AccuracyNormalized });
            }
            else
            {
                var r = DownstreamTasks.EvaluateCloze(model, _inputs.Cloze(task.File), host.Encode, B, window: T);
                host.Log($"{label}: {Path.GetFileName(task.File)} acc {r.Accuracy:F3} target ppl {r.TargetPerplexity:F1}, log p {r.TargetLogProb:F2}, rank {r.TargetRank:F0}, 4-way {r.ChoiceAccuracy:F3}");
                tasks.Add(EvalJson.Of(r, task.File));
            }
        }
        return new JsonObject { ["checkpoint"] = Path.GetFullPath(checkpoint), ["eval"] = sets, ["tasks"] = tasks, ["machine"] = Machine() };
    }

    /// <summary>
    /// Issue 23: the CPU and thread count the run trained on, so a study run in parts on several machines says which
    /// wall-clock figures were measured where (the report lists them).
    /// </summary>
    private static JsonObject Machine() => new()
    {
        ["cpu"] = Eslm.Native.IsaPeak.OfThisMachine()?.Cpu ?? "unknown", ["threads"] = Parallelism.Threads,
    };

    private readonly ExperimentInputs _inputs = new(spec, host);

    /// <summary>Writes via a temporary file and a rename, so a reader never sees half a file (public: the report writes this way too).</summary>
    public static void AtomicWrite(string path, string text)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.WriteAllText(path, text, flushToDisk: false);
    }
}
