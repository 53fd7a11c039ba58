namespace Eslm.Model;

/// <summary>
/// The memory a training run of a model needs, estimated before anything is allocated, so that an impossible shape
/// (`--context 100000000`, a huge `--batch`) is refused with numbers instead of dying in an allocation: parameters,
/// gradients and the two AdamW moments (4 × padded parameters), plus forward activations and backward scratch for B×T.
/// Reference or teacher models, data and the runtime come on top, so this is a lower bound.
/// </summary>
public sealed record TrainingMemory(double ParameterBytes, double OptimizerBytes, double ActivationBytes)
{
    public double TotalBytes => ParameterBytes + OptimizerBytes + ActivationBytes;

    /// <summary>Estimates for a validated config and a micro-batch of <paramref name="batchSize"/> × <paramref name="sequenceLength"/>.</summary>
    public static TrainingMemory Estimate(GptConfig config, int batchSize, int sequenceLength)
    {
        if ((long)batchSize * sequenceLength > int.MaxValue)
            throw new ArgumentException($"batch × sequence = {(long)batchSize * sequenceLength} tokens per micro-batch, more than {int.MaxValue}: reduce --batch or --seq");
        double parameters = ParameterLayout.For(config).Sum(s => (double)s.Count) * sizeof(float);
        // Products in double: T·T·B·NH·L can exceed 2^63 for absurd shapes, and this only has to be an estimate.
        double activations = ActivationLayout.For(config, batchSize, sequenceLength)
            .Concat(ActivationLayout.GradientScratchFor(config, batchSize, sequenceLength, Gpt.HeadChunkRows))
            .Sum(s => s.Shape.Aggregate(1.0, (n, d) => n * d)) * sizeof(float);
        return new TrainingMemory(2 * parameters, 2 * parameters, activations);
    }

    /// <summary>The machine's memory as the runtime sees it (physical memory, or the container's limit).</summary>
    public static long MachineBytes => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>Throws <see cref="InsufficientMemoryException"/> (one line, with the estimate) when the run cannot fit.</summary>
    public void RequireFits(string what, long availableBytes)
    {
        if (TotalBytes <= availableBytes) return;
        throw new InsufficientMemoryException(
            $"{what} needs at least {Gib(TotalBytes)} (parameters and gradients {Gib(ParameterBytes)}, AdamW moments {Gib(OptimizerBytes)}, " +
            $"activations {Gib(ActivationBytes)}) but this machine has {Gib(availableBytes)}: reduce --batch, --seq or the model");
    }

    private static string Gib(double bytes) => bytes >= 1L << 30 ? $"{bytes / (1L << 30):F1} GiB" : $"{bytes / (1 << 20):F1} MiB";
}
