using Eslm.Model;
using Eslm.Optim;
using Eslm.Tensors;

namespace Eslm.Training;

/// <summary>Training hyper-parameters with nanoGPT/llm.c defaults. Validated by <see cref="Validate"/>.</summary>
public sealed record TrainOptions
{
    public int BatchSize { get; init; } = 8;
    public int SequenceLength { get; init; } = 256;
    /// <summary>Micro-batches per optimizer step (gradient accumulation).</summary>
    public int GradientAccumulation { get; init; } = 1;
    public int Steps { get; init; } = 1000;
    public float LearningRate { get; init; } = 6e-4f;
    public int WarmupSteps { get; init; } = 100;
    /// <summary>Cosine decay ends at this fraction of the peak learning rate.</summary>
    public float MinLearningRateFraction { get; init; } = 0.1f;
    public float WeightDecay { get; init; } = 0.1f;
    public float Beta1 { get; init; } = 0.9f;
    public float Beta2 { get; init; } = 0.95f;
    public float GradientClip { get; init; } = 1.0f;
    public ulong Seed { get; init; } = 1337;
    /// <summary>
    /// Length of the learning-rate (and Ada-ESLM α) schedule when it differs from <see cref="Steps"/>: budget-matched
    /// experiments run until a FLOP or time budget is spent (Steps is then only a cap) and schedule over nominal steps.
    /// Null = Steps.
    /// </summary>
    public int? ScheduleSteps { get; init; }
    /// <summary>
    /// What the backward does with dropped tokens: every layer over kept rows only, dropped tokens' keys and values as
    /// constants (default: the papers' 4·N·|kept| backward; matched the exact gradient's quality in
    /// experiments/backward-modes.json), or the exact gradient of the selected loss. The model's own default is exact;
    /// this is the training default. run.json records it inside "selection", where it has always been.
    /// </summary>
    public BackwardMode Backward { get; init; } = BackwardMode.KeptRows;

    /// <summary>
    /// Operand precision of the linear layers' and LM head's products (docs/precision.md). fp32 by default; bf16 needs
    /// libdnnl2 and AVX512-BF16 and keeps master weights, gradients, optimizer and every non-GEMM op in fp32.
    /// </summary>
    public Precision Precision { get; init; } = Precision.Fp32;

    public int TokensPerStep => BatchSize * SequenceLength * GradientAccumulation;

    public LearningRateSchedule Schedule => new(LearningRate, WarmupSteps, ScheduleSteps ?? Steps, MinLearningRateFraction);

    public AdamWOptions AdamW => new() { Beta1 = Beta1, Beta2 = Beta2, WeightDecay = WeightDecay };

    public TrainOptions Validate()
    {
        if (BatchSize < 1) throw new ArgumentException($"batch size must be >= 1 (got {BatchSize})");
        if (SequenceLength < 1) throw new ArgumentException($"sequence length must be >= 1 (got {SequenceLength})");
        if (GradientAccumulation < 1) throw new ArgumentException($"gradient accumulation must be >= 1 (got {GradientAccumulation})");
        if (Steps < 0) throw new ArgumentException($"steps must be >= 0 (got {Steps})");
        if (!(LearningRate > 0) || float.IsInfinity(LearningRate)) throw new ArgumentException($"learning rate must be > 0 (got {LearningRate})");
        if (ScheduleSteps is < 1) throw new ArgumentException($"schedule steps must be >= 1 (got {ScheduleSteps})");
        if (WarmupSteps < 0) throw new ArgumentException($"warmup steps must be >= 0 (got {WarmupSteps})");
        if (MinLearningRateFraction is < 0 or > 1) throw new ArgumentException($"min learning-rate fraction must be in [0, 1] (got {MinLearningRateFraction})");
        if (WeightDecay < 0) throw new ArgumentException($"weight decay must be >= 0 (got {WeightDecay})");
        if (Beta1 is < 0 or >= 1 || Beta2 is < 0 or >= 1) throw new ArgumentException("Adam betas must be in [0, 1)");
        if (GradientClip < 0) throw new ArgumentException($"gradient clip must be >= 0 (0 = off; got {GradientClip})");
        return this;
    }
}
