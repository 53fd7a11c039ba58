using Eslm.Data;
using Eslm.Model;
using Eslm.Optim;
using Eslm.Tensors;

namespace Eslm.Training;

/// <summary>
/// Every option that shapes a training run, each declared once: its <see cref="RunOptionAttribute"/> gives the run.json /
/// experiment / --config key (snake_case; the flag is its kebab-case), the help line and the range, and its initial value
/// is the default. From this record come the flags and help of `eslm train` (and the ones `bench` shares), run.json's
/// options, `--resume`, experiment arms' "train" objects and --config keys (<see cref="TrainOptionsBinding"/>).
/// Defaults follow nanoGPT/llm.c. Adding an option = one property here (docs/extending.md, "Adding a training option").
/// </summary>
public sealed record TrainOptions
{
    [RunOption("batch", "Sequences per micro-batch (B)", Alias = "-b", Min = 1)]
    public int BatchSize { get; init; } = 8;

    /// <summary>0 = the model's context (<see cref="ForModel"/> resolves it).</summary>
    [RunOption("seq", "Tokens per sequence (T); default: the model's context", Alias = "-t", Min = 0)]
    public int SequenceLength { get; init; }

    [RunOption("grad_accum", "Micro-batches per optimizer step", Min = 1)]
    public int GradientAccumulation { get; init; } = 1;

    [RunOption("steps", "Optimizer steps", Min = 0)]
    public int Steps { get; init; } = 1000;

    [RunOption("lr", "Peak learning rate", Min = 0, MinExclusive = true)]
    public float LearningRate { get; init; } = 6e-4f;

    [RunOption("warmup", "Linear warmup steps", Min = 0)]
    public int WarmupSteps { get; init; } = 100;

    [RunOption("min_lr_fraction", "Cosine decay floor as a fraction of --lr", Min = 0, Max = 1)]
    public float MinLearningRateFraction { get; init; } = 0.1f;

    [RunOption("weight_decay", "AdamW weight decay (matrices only)", Min = 0)]
    public float WeightDecay { get; init; } = 0.1f;

    [RunOption("grad_clip", "Global gradient-norm clip (0 = off)", Min = 0)]
    public float GradientClip { get; init; } = 1.0f;

    [RunOption("seed", "Seed for initialisation and data order")]
    public ulong Seed { get; init; } = 1337;

    /// <summary>
    /// What the backward does with dropped tokens: every layer over kept rows only, dropped tokens' keys and values as
    /// constants (the papers' 4·N·|kept| backward; matched the exact gradient's quality in experiments/backward-modes.json),
    /// or the exact gradient of the selected loss. The model's own default is exact; this is the training default.
    /// </summary>
    [RunOption("backward", "kept-rows (every layer's backward over kept tokens only; dropped tokens' keys/values are constants) or exact (the exact gradient of the selected loss)")]
    public BackwardMode Backward { get; init; } = BackwardMode.KeptRows;

    /// <summary>Operand precision of the linear layers' and LM head's products (docs/precision.md).</summary>
    [RunOption("precision", "GEMM operand precision: fp32 (OpenBLAS) or bf16 (oneDNN; needs libdnnl2 and AVX512-BF16; fp32 accumulation, fp32 master weights)")]
    public Precision Precision { get; init; } = Precision.Fp32;

    [RunOption("sampling", "Training windows: random (nanoGPT: seeded starts, with replacement), sequential (llm.c order) or shuffled (sequential's windows in a seeded order, each once per epoch); sequential and shuffled windows are T-aligned, as eslm score's")]
    public SamplingMode Sampling { get; init; } = SamplingMode.Random;

    [RunOption("val_every", "Validate every N steps (and at the end)", Min = 0, ChangesResults = false)]
    public int ValidationEvery { get; init; } = 100;

    [RunOption("val_batches", "Validation batches per evaluation: a fixed sample spread over the whole split (all of it when smaller)", Min = 0, ChangesResults = false)]
    public int ValidationBatches { get; init; } = 20;

    [RunOption("checkpoint_every", "Checkpoint every N steps (0 = only at the end)", Min = 0, ChangesResults = false)]
    public int CheckpointEvery { get; init; }

    [RunOption("keep_last", "Checkpoints kept in the run directory", Min = 1, ChangesResults = false)]
    public int KeepLast { get; init; } = 2;

    /// <summary>Where the run executes, not what it computes (results do not depend on it); recorded so a resume keeps it.</summary>
    [RunOption("threads", "Threads for OpenBLAS and Eslm kernels (0 = all cores; under mpirun, the cores divided among the ranks on the machine)", Min = 0, ChangesResults = false)]
    public int Threads { get; init; }

    // Not options: nanoGPT's constants, and the schedule length of budget-matched experiment arms (run.json's "experiment").
    public float Beta1 { get; init; } = 0.9f;
    public float Beta2 { get; init; } = 0.95f;

    /// <summary>
    /// Length of the learning-rate (and Ada-ESLM α) schedule when it differs from <see cref="Steps"/>: budget-matched
    /// experiments run until a FLOP or time budget is spent (Steps is then only a cap) and schedule over nominal steps.
    /// Null = Steps.
    /// </summary>
    public int? ScheduleSteps { get; init; }

    public int TokensPerStep => BatchSize * SequenceLength * GradientAccumulation;

    public LearningRateSchedule Schedule => new(LearningRate, WarmupSteps, ScheduleSteps ?? Steps, MinLearningRateFraction);

    public AdamWOptions AdamW => new() { Beta1 = Beta1, Beta2 = Beta2, WeightDecay = WeightDecay };

    /// <summary>These options for <paramref name="model"/>: a sequence length of 0 becomes its context; a longer one is refused.</summary>
    public TrainOptions ForModel(GptConfig model)
    {
        int T = SequenceLength == 0 ? model.MaxSequenceLength : SequenceLength;
        if (T > model.MaxSequenceLength) throw new ArgumentException($"--seq must be in [1, {model.MaxSequenceLength}] (got {T})");
        return this with { SequenceLength = T };
    }

    /// <summary>Checks every declared range (one line naming the flag) and what the declarations cannot say.</summary>
    public TrainOptions Validate()
    {
        foreach (var option in TrainOptionsBinding.All) option.Check(option.ValueIn(this));
        if (ScheduleSteps is < 1) throw new ArgumentException($"schedule steps must be >= 1 (got {ScheduleSteps})");
        if (Beta1 is < 0 or >= 1 || Beta2 is < 0 or >= 1) throw new ArgumentException("Adam betas must be in [0, 1)");
        return this;
    }
}
