using System.Diagnostics;
using Eslm.Model;
using Eslm.Native;
using Eslm.Optim;
using Eslm.Selection;
using Eslm.Data;
using Eslm.Distributed;

namespace Eslm.Training;

/// <summary>
/// One optimizer step is a readable list of calls: zero grads → for each micro-batch: next batch, (sequence filter),
/// (auxiliary forwards), forward, scores, selection, token weights, backward → clip → AdamW with the scheduled rate.
/// Token selection only fills the weight vector the backward starts from (docs/selection.md).
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly MicroBatch[] _micro;
    private float[] _weights, _stepScores, _stepLosses, _scratch;
    private bool[] _stepKeep;
    private readonly List<float> _thresholds = new();   // one per selection scope of the current step
    private double _globalKept, _globalTokens;           // global scope: counts over all processes

    public Trainer(Gpt model, TrainOptions options, IBatchSource data, SelectionStrategy? strategy = null, SelectionOptions? selection = null)
    {
        Model = model;
        Options = options.Validate();
        Data = data;
        Strategy = strategy ?? new ClmStrategy(new SelectionOptions());
        Selection = selection ?? Strategy.Options;
        if (data.BatchSize != options.BatchSize || data.SequenceLength != options.SequenceLength)
            throw new ArgumentException($"data source yields B={data.BatchSize}, T={data.SequenceLength} but options ask for B={options.BatchSize}, T={options.SequenceLength}");
        if (options.SequenceLength > model.Config.MaxSequenceLength)
            throw new ArgumentException($"sequence length {options.SequenceLength} exceeds the model's context of {model.Config.MaxSequenceLength}");
        Strategy.Attach(model);
        Optimizer = new AdamW(model.Parameters, options.AdamW);
        int bt = options.BatchSize * options.SequenceLength, all = bt * options.GradientAccumulation;
        _micro = Enumerable.Range(0, options.GradientAccumulation).Select(_ => new MicroBatch(bt)).ToArray();
        _weights = new float[bt];
        _stepScores = new float[all]; _stepLosses = new float[all]; _scratch = new float[all]; _stepKeep = new bool[all];
    }

    public Gpt Model { get; }
    public TrainOptions Options { get; }
    public IBatchSource Data { get; }
    public AdamW Optimizer { get; }
    public SelectionStrategy Strategy { get; }
    public SelectionOptions Selection { get; }

    /// <summary>Data-parallel communication (single process by default).</summary>
    public IDistributed Distributed { get; set; } = SingleProcess.Instance;

    /// <summary>Optimizer steps taken so far (also the 0-based index of the next step).</summary>
    public int StepIndex { get; set; }

    /// <summary>Running totals since this trainer started (restored on resume by the caller).</summary>
    public double TotalFlopsAccounted { get; set; }
    public double TotalFlopsExecuted { get; set; }
    public double TotalMilliseconds { get; set; }

    /// <summary>
    /// Optional schedule position (in nominal steps) replacing the step index for the learning rate: budget-matched
    /// experiments pass (budget spent / budget) × nominal steps, so every arm decays over the same budget. Null = step index.
    /// </summary>
    public Func<Trainer, double>? SchedulePosition { get; set; }

    public StepResult Step()
    {
        long start = Stopwatch.GetTimestamp();
        long flops0 = OpenBlas.ExecutedFlops;
        int T = Options.SequenceLength, accumulation = Options.GradientAccumulation;
        long N = Model.Config.ParameterCount;
        double accounted = 0;
        using (Model.Timer.Measure("zerograd")) Model.ZeroGradients();
        Model.RowGradient = Strategy.HeadGradient;
        Model.BackwardMode = Selection.Backward;
        // Issue 8: under --selection-scope global, VaR thresholds are taken over every process's scores (exactly).
        Strategy.GlobalScope = Selection.Scope == SelectionScope.Global ? Distributed : null;

        foreach (var mb in _micro)
        {
            Data.NextBatch(mb.OriginalInputs, mb.OriginalTargets);
            mb.CapturePositions(Data);
            accounted += mb.FilterSequences(Strategy, Model, Options.BatchSize, T);
        }

        bool wholeStep = Selection.Scope is SelectionScope.Step or SelectionScope.Global;
        int offset = 0;
        foreach (var mb in _micro) // pass 1: forward and score every micro-batch
        {
            accounted += Forward(mb, T, N);
            int n = mb.B * T;
            Strategy.Score(Model, mb.Inputs, mb.Targets, mb.B, T, _stepScores.AsSpan(offset, n));
            Model.Losses.CopyTo(_stepLosses.AsSpan(offset, n));
            mb.Offset = offset;
            offset += n;
            // One micro-batch per step: it is the whole step, so it is selected here too (alreadySelected: false).
            if (!wholeStep || accumulation == 1) accounted += Backward(mb, T, N, alreadySelected: false);
        }
        if (wholeStep && accumulation > 1) // pass 2: one threshold over the step, then forward again and backward
        {
            Select(0, offset);
            foreach (var mb in _micro)
            {
                accounted += Forward(mb, T, N);
                accounted += Backward(mb, T, N, true);
            }
        }

        long executed = OpenBlas.ExecutedFlops - flops0; // every GEMM of the step is done (clipping and AdamW run none)
        var stats = Summarise(offset, accounted, ref executed);
        if (Distributed.Size > 1) AverageGradientsAcrossProcesses();
        double norm;
        using (Model.Timer.Measure("gradnorm")) norm = GradientClipping.GlobalNorm(Model.Gradients);
        double? position = SchedulePosition?.Invoke(this);
        float lr = position is { } p ? Options.Schedule.At(p) : Options.Schedule.At(StepIndex);
        using (Model.Timer.Measure("adamw"))
            Optimizer.Update(Model.Parameters, Model.Gradients, lr, GradientClipping.ScaleFor(norm, Options.GradientClip));
        Strategy.AfterStep(stats, position is { } q ? (int)Math.Floor(q) : StepIndex, Options.ScheduleSteps ?? Options.Steps);
        double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        if (Distributed.Size > 1) // issue 8: one step time for all ranks (their mean), so wall-clock budgets and schedules agree
        {
            Span<double> time = [ms];
            Distributed.AllReduceSum(time);
            ms = time[0] / Distributed.Size;
        }
        TotalFlopsAccounted += stats.FlopsAccounted; TotalFlopsExecuted += executed; TotalMilliseconds += ms; // FLOPs: all processes'
        var result = new StepResult
        {
            Step = StepIndex, Loss = (float)stats.LossAll, LearningRate = lr, GradientNorm = norm, Milliseconds = ms,
            TokensPerSecond = (double)Options.TokensPerStep * Distributed.Size / (ms / 1000.0), // all processes' tokens
            FlopsExecuted = executed, Strategy = Strategy.Name, Selection = stats,
        };
        StepIndex++;
        return result;
    }

    /// <summary>Gradients become the mean over processes (each process averaged over its own tokens).</summary>
    private void AverageGradientsAcrossProcesses()
    {
        var g = Model.Gradients.All;
        Distributed.AllReduceSum(g);
        System.Numerics.Tensors.TensorPrimitives.Multiply(g, 1f / Distributed.Size, g);
    }

    /// <summary>Auxiliary forwards and the student's forward on one micro-batch; returns accounted FLOPs (2·N per token).</summary>
    private double Forward(MicroBatch mb, int T, long N)
    {
        int n = mb.B * T;
        Strategy.SetRowPositions(mb.RowStarts.AsSpan(0, mb.PositionCount), mb.RowSources.AsSpan(0, mb.PositionCount));
        Strategy.BeforeStudentForward(mb.Inputs, mb.Targets, mb.B, T);
        Model.Forward(mb.Inputs.AsSpan(0, n), mb.Targets.AsSpan(0, n), mb.B, T);
        return 2.0 * (N + Strategy.AuxiliaryParameters) * n;
    }

    /// <summary>Selection (unless the whole step was selected already), weights, backward; returns accounted FLOPs (4·N per kept token).</summary>
    private double Backward(MicroBatch mb, int T, long N, bool alreadySelected)
    {
        int n = mb.B * T;
        if (!alreadySelected) Select(mb.Offset, n);
        var keep = _stepKeep.AsSpan(mb.Offset, n);
        var weights = _weights.AsSpan(0, n);
        int kept = FillWeights(mb, keep, weights, T);
        Model.Backward(weights);
        return 4.0 * N * kept;
    }

    /// <summary>Marks kept tokens in [offset, offset+count): per sequence, or the whole range as one scope.</summary>
    private void Select(int offset, int count)
    {
        int T = Options.SequenceLength;
        var scores = _stepScores.AsSpan(offset, count);
        var keep = _stepKeep.AsSpan(offset, count);
        if (Selection.Scope == SelectionScope.Sequence)
        {
            for (int s = 0; s < count / T; s++)
                _thresholds.Add(Strategy.Select(scores.Slice(s * T, T), keep.Slice(s * T, T), _scratch));
        }
        else
        {
            _thresholds.Add(Strategy.Select(scores, keep, _scratch));
            if (Selection.Scope == SelectionScope.Global) CountGlobally(keep);
        }
    }

    /// <summary>Issue 8: kept and total token counts of the global scope (all processes), for the normalisation.</summary>
    private void CountGlobally(ReadOnlySpan<bool> keep)
    {
        Span<double> counts = [0, keep.Length];
        foreach (bool k in keep) if (k) counts[0]++;
        Distributed.AllReduceSum(counts);
        (_globalKept, _globalTokens) = (counts[0], counts[1]);
    }

    /// <summary>
    /// Per-token weights: kept tokens get 1/(kept count of their scope × number of scopes in the step) under
    /// Normalize=kept, or 1/(all tokens of the step) under Normalize=all; dropped tokens get 0. Returns the kept count.
    /// </summary>
    private int FillWeights(MicroBatch mb, ReadOnlySpan<bool> keep, Span<float> weights, int T)
    {
        int sequences = 0;
        foreach (var m in _micro) sequences += m.B;
        int totalTokens = sequences * T;
        int kept = 0;
        foreach (bool k in keep) if (k) kept++;
        if (Selection.Normalize == Normalization.All)
        {
            // Global scope: all processes' tokens; × Size because gradients are then averaged over processes.
            FillKept(weights, keep, Selection.Scope == SelectionScope.Global ? Distributed.Size / (float)_globalTokens : 1f / totalTokens);
            return kept;
        }
        switch (Selection.Scope)
        {
            case SelectionScope.Sequence:
            {
                for (int b = 0; b < mb.B; b++)
                {
                    int k = 0;
                    for (int t = 0; t < T; t++) if (keep[b * T + t]) k++;
                    FillKept(weights.Slice(b * T, T), keep.Slice(b * T, T), k == 0 ? 0f : 1f / ((float)k * sequences));
                }
                break;
            }
            case SelectionScope.Global: // issue 8: the kept count over all processes (× Size: gradients are averaged over processes)
                FillKept(weights, keep, Distributed.Size / (float)_globalKept);
                break;
            case SelectionScope.Step when _micro.Length > 1:
            {
                int stepKept = 0;
                foreach (bool k in _stepKeep.AsSpan(0, totalTokens)) if (k) stepKept++;
                FillKept(weights, keep, 1f / stepKept);
                break;
            }
            default:
                FillKept(weights, keep, 1f / ((float)kept * _micro.Length));
                break;
        }
        return kept;
    }

    /// <summary>
    /// The step's selection statistics. With several processes (issue 8) every count and sum is over all processes,
    /// accounted and executed FLOPs are the job's totals, the CVaR is exact over all tokens (global VaR of the losses),
    /// and the threshold is the mean over all processes' scopes.
    /// </summary>
    /// <summary>weights[i] = w where the token is kept, 0 where it is dropped.</summary>
    private static void FillKept(Span<float> weights, ReadOnlySpan<bool> keep, float w)
    {
        for (int i = 0; i < weights.Length; i++) weights[i] = keep[i] ? w : 0f;
    }

    private SelectionStepStats Summarise(int count, double accounted, ref long executed)
    {
        var losses = _stepLosses.AsSpan(0, count);
        var keep = _stepKeep.AsSpan(0, count);
        double all = 0, keptSum = 0; long kept = 0;
        for (int i = 0; i < count; i++)
        {
            all += losses[i];
            if (keep[i]) { keptSum += losses[i]; kept++; }
        }
        double alpha = Strategy.Alpha;
        long originalTokens = (long)Options.BatchSize * Options.SequenceLength * _micro.Length;
        double thresholds = 0; int finite = 0;
        foreach (float t in _thresholds) if (float.IsFinite(t)) { thresholds += t; finite++; }
        _thresholds.Clear();
        double cvar;
        if (Distributed.Size == 1)
            cvar = ValueAtRisk.ConditionalValueAtRisk(losses, alpha, _scratch);
        else
        {
            float var = Distributed.GlobalThreshold(losses, alpha);
            double tailSum = 0, tailCount = 0;
            foreach (float l in losses) if (l >= var) { tailSum += l; tailCount++; }
            Span<double> sums = [all, keptSum, kept, count, originalTokens, thresholds, finite, accounted, executed, tailSum, tailCount];
            Distributed.AllReduceSum(sums);
            (all, keptSum, kept, count, originalTokens) = (sums[0], sums[1], (long)sums[2], (int)sums[3], (long)sums[4]);
            (thresholds, finite, accounted, executed) = (sums[5], (int)sums[6], sums[7], (long)sums[8]);
            cvar = sums[10] == 0 ? double.NaN : sums[9] / sums[10];
        }
        return new SelectionStepStats
        {
            Alpha = alpha, Threshold = finite == 0 ? double.NaN : thresholds / finite,
            KeptFraction = (double)kept / originalTokens, KeptTokens = kept, AllTokens = originalTokens,
            LossAll = all / count, LossKept = kept == 0 ? double.NaN : keptSum / kept,
            Cvar = cvar, FlopsAccounted = accounted,
        };
    }

    /// <summary>Mean loss over all tokens of <paramref name="batches"/> batches from <paramref name="source"/> (no selection, no gradients).</summary>
    public float Evaluate(IBatchSource source, int batches)
    {
        int bt = source.BatchSize * source.SequenceLength;
        var inputs = new int[bt]; var targets = new int[bt];
        double sum = 0;
        for (int i = 0; i < batches; i++)
        {
            source.NextBatch(inputs, targets);
            sum += Model.Forward(inputs, targets, source.BatchSize, source.SequenceLength);
        }
        // Issue 8: each process evaluates its slice of the same batches (equal sizes): the mean over processes.
        Span<double> total = [sum];
        Distributed.AllReduceSum(total);
        sum = total[0] / Distributed.Size;
        return batches == 0 ? float.NaN : (float)(sum / batches);
    }

    /// <summary>Batches one validation pass uses: the requested count, capped by what a fixed-batch loader holds.</summary>
    public static int ValidationBatches(IBatchSource source, int requested) =>
        source is Eslm.Data.ValidationLoader v ? Math.Min(requested, v.BatchCount) : requested;

    public void Dispose()
    {
        Optimizer.Dispose();
        Strategy.Dispose();
    }

    /// <summary>One micro-batch of the step: the batch as drawn and, after sequence filtering, as the student sees it.</summary>
    private sealed class MicroBatch(int tokens)
    {
        public readonly int[] OriginalInputs = new int[tokens], OriginalTargets = new int[tokens];
        private readonly int[] _filteredInputs = new int[tokens], _filteredTargets = new int[tokens];
        public int[] Inputs = [], Targets = [];
        public int B;
        public int Offset;
        public long[] RowStarts = [];
        public int[] RowSources = [];
        public int PositionCount;

        /// <summary>Keeps where the rows came from, when the source says (sequence filtering later keeps them aligned).</summary>
        public void CapturePositions(IBatchSource data)
        {
            PositionCount = 0;
            if (data is not IPositionedBatchSource p || p.RowStarts.Length == 0) return;
            if (RowStarts.Length < p.RowStarts.Length) { RowStarts = new long[p.RowStarts.Length]; RowSources = new int[p.RowStarts.Length]; }
            p.RowStarts.CopyTo(RowStarts);
            p.RowSources.CopyTo(RowSources);
            PositionCount = p.RowStarts.Length;
        }

        /// <summary>Applies the strategy's sequence filter (if any); returns its accounted FLOPs.</summary>
        public double FilterSequences(SelectionStrategy strategy, Gpt model, int batchSize, int T)
        {
            var kept = strategy.FilterSequences(model, OriginalInputs, OriginalTargets, batchSize, T, out double flops);
            if (kept is null) { Inputs = OriginalInputs; Targets = OriginalTargets; B = batchSize; return flops; }
            for (int j = 0; j < kept.Length; j++)
            {
                Array.Copy(OriginalInputs, kept[j] * T, _filteredInputs, j * T, T);
                Array.Copy(OriginalTargets, kept[j] * T, _filteredTargets, j * T, T);
                if (PositionCount > 0) { RowStarts[j] = RowStarts[kept[j]]; RowSources[j] = RowSources[kept[j]]; }
            }
            if (PositionCount > 0) PositionCount = kept.Length;
            Inputs = _filteredInputs; Targets = _filteredTargets; B = kept.Length;
            return flops;
        }
    }
}
