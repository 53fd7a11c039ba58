using System.CommandLine;
using System.Text.Json.Nodes;
using Eslm.Distributed;
using Eslm.Training;
using Eslm.Data;
using Eslm.Model;

namespace Eslm.Cli.Commands;

/// <summary>`eslm train`: pretrain on token shards with any selection strategy; JSONL metrics, validation, checkpoints, resume.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var selection = new SelectionCliOptions();
        var precision = new PrecisionOption();
        var data = new Option<string>("--data") { Description = "Training data: a dataset folder (eslm prepare), an llm.c shard, or a raw uint16 token file", Required = true };
        var valData = new Option<string?>("--val-data") { Description = "Validation data (default: the val split of --data when it is a dataset folder)" };
        var output = new Option<string>("--out", "-o", "--output") { Description = "Run directory (metrics.jsonl, run.json, step-N checkpoints)", DefaultValueFactory = _ => "runs/train" };
        var batch = new Option<int>("--batch", "-b") { Description = "Sequences per micro-batch (B)", DefaultValueFactory = _ => 8 };
        var seq = new Option<int>("--seq", "-t") { Description = "Tokens per sequence (T); default: the model's context", DefaultValueFactory = _ => 0 };
        var accumulation = new Option<int>("--grad-accum") { Description = "Micro-batches per optimizer step", DefaultValueFactory = _ => 1 };
        var steps = new Option<int>("--steps") { Description = "Optimizer steps", DefaultValueFactory = _ => 1000 };
        var lr = new Option<float>("--lr") { Description = "Peak learning rate", DefaultValueFactory = _ => 6e-4f };
        var warmup = new Option<int>("--warmup") { Description = "Linear warmup steps", DefaultValueFactory = _ => 100 };
        var minLr = new Option<float>("--min-lr-fraction") { Description = "Cosine decay floor as a fraction of --lr", DefaultValueFactory = _ => 0.1f };
        var wd = new Option<float>("--weight-decay") { Description = "AdamW weight decay (matrices only)", DefaultValueFactory = _ => 0.1f };
        var clip = new Option<float>("--grad-clip") { Description = "Global gradient-norm clip (0 = off)", DefaultValueFactory = _ => 1.0f };
        var seed = new Option<ulong>("--seed") { Description = "Seed for initialisation and data order", DefaultValueFactory = _ => 1337UL };
        var valEvery = new Option<int>("--val-every") { Description = "Validate every N steps (and at the end)", DefaultValueFactory = _ => 100 };
        var valBatches = new Option<int>("--val-batches") { Description = "Validation batches per evaluation: a fixed sample spread over the whole split (all of it when smaller)", DefaultValueFactory = _ => 20 };
        var ckptEvery = new Option<int>("--checkpoint-every") { Description = "Checkpoint every N steps (0 = only at the end)", DefaultValueFactory = _ => 0 };
        var keepLast = new Option<int>("--keep-last") { Description = "Checkpoints kept in the run directory", DefaultValueFactory = _ => 2 };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its latest complete checkpoint; options default to its run.json" };
        var allowChanges = new Option<bool>(ResumeDefaults.AllowChanges) { Description = "With --resume: accept options that differ from run.json (recorded in its \"changes\")" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Start again in an --out that holds a run: remove its metrics, run.json and checkpoints first" };
        var initFrom = new Option<string?>("--init-from") { Description = "Start from a model's weights (fresh optimizer) and, unless --model is given, its architecture: a run or step folder, .safetensors, llm.c .bin or preset:NAME" };
        var sampling = new Option<string>("--sampling") { Description = "Training windows: random (seeded) or sequential (llm.c order; T-aligned, which matches eslm score's windows)", DefaultValueFactory = _ => "random" };
        var threads = new Option<int>("--threads") { Description = "Threads for OpenBLAS and Eslm kernels (0 = all cores)", DefaultValueFactory = _ => 0 };
        var verbose = new Option<bool>("--verbose") { Description = "Print the full resolved configuration (run.json's \"options\") at the start" };

        var command = new Command("train", "Pretrain a GPT-2-style model, optionally on selected tokens only (see --strategy).");
        model.AddTo(command);
        foreach (var o in new Option[] { data, valData, output, batch, seq, accumulation, steps, lr, warmup, minLr, wd, clip, seed, valEvery, valBatches,
                     ckptEvery, keepLast, resume, allowChanges, overwrite, initFrom, sampling, threads, verbose })
            command.Options.Add(o);
        precision.AddTo(command);
        selection.AddTo(command);
        // Under mpirun every rank runs this body (MpiCli: one failing rank aborts the job); docs/distributed.md.
        command.SetAction(r => MpiCli.Run(processes =>
        {
            int P = processes.Size;
            bool talk = processes.Rank == 0; // rank 0 alone prints (and TrainingRun lets it alone write files)
            // "all cores" under mpirun = this host's cores shared by its ranks
            CliRunner.ConfigureThreads(r.GetValue(threads) == 0 && MpiLaunch.UnderMpirun ? MpiLaunch.DefaultThreads : r.GetValue(threads));
            ModelLoader.CheckExists(r.GetValue(initFrom), "--init-from");
            GptConfig? initConfig = null;
            if (r.GetValue(initFrom) is { } initPath)
                using (var initModel = ModelLoader.Load(initPath)) initConfig = initModel.Config;
            var (modelName, cfg) = model.Resolve(r, initConfig, r.GetValue(initFrom));
            int T = r.GetValue(seq) == 0 ? cfg.MaxSequenceLength : r.GetValue(seq);
            if (T < 1 || T > cfg.MaxSequenceLength) throw new ArgumentException($"--seq must be in [1, {cfg.MaxSequenceLength}] (got {T})");
            var train = new TrainOptions
            {
                BatchSize = r.GetValue(batch), SequenceLength = T, GradientAccumulation = r.GetValue(accumulation), Steps = r.GetValue(steps),
                LearningRate = r.GetValue(lr), WarmupSteps = r.GetValue(warmup), MinLearningRateFraction = r.GetValue(minLr),
                WeightDecay = r.GetValue(wd), GradientClip = r.GetValue(clip), Seed = r.GetValue(seed), Backward = selection.ResolveBackward(r),
                Precision = precision.Resolve(r),
            }.Validate();
            Eslm.Model.TrainingMemory.Estimate(cfg, train.BatchSize, T)
                .RequireFits($"training {modelName} ({cfg}) with B={train.BatchSize} T={T}", Eslm.Model.TrainingMemory.MachineBytes);
            var sel = selection.Resolve(r);
            SelectionCliOptions.CheckIgnoredSettings(sel, m => { if (talk) Console.Error.WriteLine($"eslm: warning: {m}"); });
            // AuxiliaryModels refuses it too; checked here as well so a failed start creates no run folder.
            int proxyLayers = sel.Get<Eslm.Selection.Strategies.HierarchicalSettings>().ProxyLayers;
            if (proxyLayers > cfg.L) throw new ArgumentException($"--proxy-layers {proxyLayers} exceeds the model's {cfg.L} layers");
            foreach (var (flag, path) in Eslm.Selection.SelectionBinding.Paths(sel)) ModelLoader.CheckExists(path, flag);
            if (r.GetValue(valEvery) < 0 || r.GetValue(valBatches) < 0 || r.GetValue(ckptEvery) < 0 || r.GetValue(keepLast) < 1)
                throw new ArgumentException("--val-every, --val-batches and --checkpoint-every must be >= 0 and --keep-last >= 1");
            string dataPath = r.GetValue(data)!;
            DataSources.CheckVocabulary(dataPath, cfg.VocabSize);
            if (r.GetValue(valData) is { } valSpec) DataSources.CheckVocabulary(valSpec, cfg.VocabSize);
            // With P processes each rank opens the same stream of global batches of P·B sequences and trains on its slice
            // of B (RankSlicedSource): P ranks × B equal one process × P·B.
            var samplingMode = SelectionCliOptions.ParseEnum<Eslm.Data.SamplingMode>(r.GetValue(sampling)!, "--sampling");
            var trainSource = MpiCli.OpenSlice(processes, train.BatchSize, b => DataSources.OpenTrain(dataPath, b, T, train.Seed, samplingMode));
            string? valPath = r.GetValue(valData);
            var validationGlobal = DataSources.ValidationFactory(valPath ?? dataPath, valPath is not null, train.BatchSize * P, T, r.GetValue(valBatches));
            Func<IBatchSource>? validation = validationGlobal is null ? null : () => MpiCli.Slice(processes, validationGlobal());
            var resolved = new JsonObject
            {
                ["command"] = "train", ["model"] = modelName, ["config"] = cfg.ToString(), ["data"] = dataPath, ["val_data"] = valPath,
                ["batch"] = train.BatchSize, ["seq"] = T, ["grad_accum"] = train.GradientAccumulation, ["steps"] = train.Steps,
                ["lr"] = train.LearningRate, ["warmup"] = train.WarmupSteps, ["min_lr_fraction"] = train.MinLearningRateFraction,
                ["weight_decay"] = train.WeightDecay, ["grad_clip"] = train.GradientClip, ["seed"] = train.Seed,
                ["selection"] = TrainingRun.SelectionJson(sel, train.Backward),
                ["processes"] = P,
            };
            // Recorded only when not fp32: runs without the field (all runs before it existed) are fp32, and fp32 runs'
            // files stay byte for byte what they were (the golden runs compare them whole).
            if (train.Precision != Eslm.Tensors.Precision.Fp32) resolved["precision"] = Eslm.Tensors.PrecisionNames.Name(train.Precision);
            string outDir = r.GetValue(output)!;
            if (r.GetValue(resume) && r.GetValue(overwrite))
                throw new ArgumentException("--resume and --overwrite exclude each other: continue the run or start it again");
            if (r.GetValue(allowChanges) && !r.GetValue(resume)) throw new ArgumentException($"{ResumeDefaults.AllowChanges} goes with --resume");
            var changes = r.GetValue(resume) ? ResumeDefaults.Changes(r, command, outDir) : null;
            // Issue 13: with warmup ≥ steps the learning rate never reaches --lr (the default warmup is 100 steps).
            if (talk && train.WarmupSteps >= train.Steps && train.Steps > 0)
                Console.Error.WriteLine($"eslm: warning: --warmup {train.WarmupSteps} >= --steps {train.Steps}: the learning rate never reaches --lr {train.LearningRate}; " +
                                        $"pass a smaller --warmup (e.g. --warmup {Math.Max(0, train.Steps / 10)})");
            if (talk)
            {
                Console.Error.WriteLine($"eslm train: {modelName} ({cfg}), strategy {sel.Strategy}, B={train.BatchSize} T={T} accum={train.GradientAccumulation}, {train.Steps} steps → {outDir}");
                if (P > 1)
                    Console.Error.WriteLine($"distributed: {P} processes (Open MPI), {Eslm.Tensors.Parallelism.Threads} thread(s) each, " +
                                            $"global batch {P * train.BatchSize} sequences, selection scope {sel.Scope.ToString().ToLowerInvariant()}");
                // Issue 13: the full configuration is run.json's "options"; one short line unless --verbose.
                Console.Error.WriteLine(r.GetValue(verbose) ? $"resolved configuration: {resolved.ToJsonString()}"
                    : $"configuration: {Path.Combine(outDir, TrainingRun.ConfigFile)} (--verbose prints it)");
            }
            var bar = new ProgressReporter("train", train.Steps, "steps");
            var commPerStep = new List<double>(); // time in collectives per step (rank 0), validation excluded
            double commSoFar = 0;
            using var interrupted = talk ? new InterruptNotice(outDir) : null; // issue 21: says where a Ctrl-C left the run
            string final = TrainingRun.Run(new RunOptions
            {
                Model = cfg, Train = train, Selection = sel, OutputDirectory = outDir, ValidationEvery = r.GetValue(valEvery),
                ValidationBatches = validation is null ? 0 : r.GetValue(valBatches), CheckpointEvery = r.GetValue(ckptEvery),
                KeepLast = r.GetValue(keepLast), Resume = r.GetValue(resume), Overwrite = r.GetValue(overwrite), Changes = changes, InitFrom = r.GetValue(initFrom), ResolvedConfig = resolved,
                Distributed = processes, Warn = m => Console.Error.WriteLine($"eslm: warning: {m}"),
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
                                       (s.Strategy == "clm" ? "" : $" | kept {s.Selection.KeptFraction * 100:F0}%"));
                if (p.ValidationLoss is { } v) bar.Note($"step {p.Step}: val loss {v:F4} (ppl {Math.Exp(v):F1})");
                if (p.Checkpoint is { } c) bar.Note($"step {p.Step}: checkpoint {c}");
            });
            if (processes is MpiDistributed mpi && talk && commPerStep.Count > 0)
                Console.Error.WriteLine($"communication (rank 0): median {Median(commPerStep):F1} ms/step in collectives, incl. waiting for the slowest rank " +
                                        $"({mpi.Collectives} allreduces, {mpi.BytesReduced / 1e6:F1} MB reduced in all)");
            if (talk) Console.WriteLine(final);
            return 0;
        }));
        return command;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
