using System.Text.Json.Nodes;
using Eslm.Model;

namespace Eslm.Selection;

/// <summary>
/// A token-selection strategy: scores the tokens of a micro-batch after the student's forward and picks the kept ones
/// in each scope. Strategies never touch the network's backward; the trainer turns their masks into per-token weights.
/// Optional hooks run auxiliary models (reference, teacher, early-exit proxy) and replace the head gradient (distillation).
/// </summary>
public abstract class SelectionStrategy : IDisposable
{
    protected SelectionStrategy(SelectionOptions options) => Options = options;

    public SelectionOptions Options { get; }

    public abstract string Name { get; }

    /// <summary>α used for the current step (Ada-ESLM changes it; keep-based strategies report 1 − keep).</summary>
    public virtual double Alpha => Options.Alpha;

    /// <summary>Parameters of auxiliary models whose forward runs on every student token (for FLOP accounting).</summary>
    public virtual long AuxiliaryParameters => 0;

    /// <summary>Called once before training with the student, e.g. to check that a teacher's vocabulary matches.</summary>
    public virtual void Attach(Gpt student) { }

    /// <summary>
    /// Optional sequence filter run before the student's full forward (hierarchical selection). Returns the indices of
    /// the kept sequences (ascending), or null to keep all; reports the FLOPs it accounted.
    /// </summary>
    public virtual int[]? FilterSequences(Gpt student, int[] inputs, int[] targets, int batchSize, int sequenceLength, out double accountedFlops)
    {
        accountedFlops = 0;
        return null;
    }

    /// <summary>Where the next micro-batch's rows come from (when the data source knows); called before <see cref="BeforeStudentForward"/>.</summary>
    public virtual void SetRowPositions(ReadOnlySpan<long> rowStarts, ReadOnlySpan<int> rowSources) { }

    /// <summary>Auxiliary forwards on the (possibly filtered) micro-batch, before the student's forward.</summary>
    public virtual void BeforeStudentForward(int[] inputs, int[] targets, int batchSize, int sequenceLength) { }

    /// <summary>Scores for the student's tokens of the micro-batch, [B·T]; higher scores are kept first.</summary>
    public abstract void Score(Gpt student, int[] inputs, int[] targets, int batchSize, int sequenceLength, Span<float> scores);

    /// <summary>
    /// Marks the kept tokens of one scope and returns the threshold used (NaN when there is none).
    /// Default: ESLM's rule, keep score ≥ VaR_α.
    /// </summary>
    public virtual float Select(ReadOnlySpan<float> scores, Span<bool> keep, Span<float> scratch)
    {
        float threshold = GlobalScope is { } processes
            ? processes.GlobalThreshold(scores, Alpha) // collective: VaR over every process's scores of this scope
            : ValueAtRisk.Threshold(scores, Alpha, scratch);
        ValueAtRisk.Keep(scores, threshold, keep);
        return threshold;
    }

    /// <summary>
    /// Set by the trainer under <c>--selection-scope global</c> (issue 8): the VaR thresholds of <see cref="Select"/> are
    /// then computed over the scores of every process (<see cref="Distributed.IDistributed.GlobalThreshold"/>), not locally.
    /// Null otherwise. Strategies that override <see cref="Select"/> without a threshold (random) select per process.
    /// </summary>
    public Distributed.IDistributed? GlobalScope { get; set; }

    /// <summary>Head-gradient replacement for the next backward (distillation), or null for plain cross-entropy.</summary>
    public virtual Gpt.HeadRowGradient? HeadGradient => null;

    /// <summary>Called after each optimizer step with what the step selected (Ada-ESLM adapts α here).</summary>
    public virtual void AfterStep(SelectionStepStats stats, int step, int totalSteps) { }

    public virtual JsonObject SaveState() => new();

    public virtual void RestoreState(JsonObject state) { }

    public virtual void Dispose() { }
}

/// <summary>What selection did in one optimizer step (logged per step into metrics JSONL).</summary>
public sealed record SelectionStepStats
{
    public double Alpha { get; init; }
    /// <summary>Mean threshold over the step's scopes (NaN when no threshold applies).</summary>
    public double Threshold { get; init; }
    public double KeptFraction { get; init; }
    public long KeptTokens { get; init; }
    public long AllTokens { get; init; }
    public double LossAll { get; init; }
    public double LossKept { get; init; }
    /// <summary>Empirical CVaR_α of the student's token losses over the step.</summary>
    public double Cvar { get; init; }
    public double FlopsAccounted { get; init; }
}
