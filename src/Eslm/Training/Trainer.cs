using System.Diagnostics;
using Eslm.Model;
using Eslm.Native;
using Eslm.Optim;
using Eslm.Tensors;
using Eslm.Selection;
using Eslm.Selection.Strategies;
using Eslm.Data;
using Eslm.Distributed;

namespace Eslm.Training;

/// <summary>
/// One optimizer step as a readable list of calls (<see cref="Step"/>): zero grads → draw the micro-batches (and let a
/// sequence filter drop some) → forward, statistics and scores of each → selection per scope → token weights → backward
/// → clip → AdamW at the scheduled rate → the selector's own update. Selection only fills the weight vector the backward
/// starts from (docs/selection.md); every model run, including auxiliary ones, happens here.
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly MicroBatch[] _micro;
    private readonly AuxiliaryModels _auxiliary;
    private readonly StepStatistics _statistics;
    private readonly LocalValueAtRisk _localValueAtRisk = new();
    private readonly float[] _weights, _scores;
    private readonly bool[] _keep;
    private double _globalKept, _globalTokens; // global scope: counts over all processes

    public Trainer(Gpt model, TrainOptions options, IBatchSource data, TokenSelector? selector = null, Func<string, Gpt>? loadModel = null)
    {
        Model = model;
        Options = options.Validate();
        Data = data;
        Selector = selector ?? new ClmSelector(new SelectionOptions());
        if (data.BatchSize != options.BatchSize || data.SequenceLength != options.SequenceLength)
            throw new ArgumentException($"data source yields B={data.BatchSize}, T={data.SequenceLength} but options ask for B={options.BatchSize}, T={options.SequenceLength}");
        if (options.SequenceLength > model.Config.MaxSequenceLength)
            throw new ArgumentException($"sequence length {options.SequenceLength} exceeds the model's context of {model.Config.MaxSequenceLength}");
        model.Precision = options.Precision; // throws the one-line "what is missing" when bf16 cannot run here
        _auxiliary = new AuxiliaryModels(Selector.Needs, model, loadModel);
        try
        {
            if (_auxiliary.CheckSidecar(data) is { } warning) Warnings.Add(warning);
        }
        catch
        {
            _auxiliary.Dispose();
            throw;
        }
        Optimizer = new AdamW(model.Parameters, options.AdamW);
        int bt = options.BatchSize * options.SequenceLength, all = bt * options.GradientAccumulation;
        _micro = Enumerable.Range(0, options.GradientAccumulation).Select(_ => new MicroBatch(bt)).ToArray();
        _weights = new float[bt];
        _scores = new float[all]; _keep = new bool[all];
        _statistics = new StepStatistics(all);
    }

    public Gpt Model { get; }
    /// <summary>What the set-up found worth telling the user (e.g. an old sidecar checked by token count only).</summary>
    public List<string> Warnings { get; } = new();
    public TrainOptions Options { get; }
    public IBatchSource Data { get; }
    public AdamW Optimizer { get; }
    public TokenSelector Selector { get; }
    public SelectionOptions Selection => Selector.Options;

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

    /// <summary>The threshold of a whole step is taken once all its micro-batches are scored (scopes step and global).</summary>
    private bool WholeStepScope => Selection.Scope is SelectionScope.Step or SelectionScope.Global && _micro.Length > 1;

    public StepResult Step()
    {
        long start = Stopwatch.GetTimestamp(), executedBefore = OpenBlas.ExecutedFlops;
        double accounted = 0;
        using (Model.Timer.Measure("zerograd")) Model.ZeroGradients();
        Model.RowGradient = _auxiliary.HeadGradient;
        Model.BackwardMode = Options.Backward;

        foreach (var mb in _micro) accounted += Draw(mb);
        int tokens = 0;
        foreach (var mb in _micro) // forward and score every micro-batch; select and backward it unless the step is one scope
        {
            accounted += ForwardAndScore(mb, offset: tokens);
            tokens += mb.Tokens;
            if (WholeStepScope) continue;
            Select(mb.Offset, mb.Tokens);
            accounted += Backward(mb);
        }
        if (WholeStepScope) // one threshold over the step, then forward each micro-batch again for its backward
        {
            Select(0, tokens);
            foreach (var mb in _micro) accounted += Forward(mb) + Backward(mb);
        }

        long executed = OpenBlas.ExecutedFlops - executedBefore; // every GEMM of the step is done (clipping and AdamW run none)
        var stats = _statistics.Summarise(_keep, tokens, Options.TokensPerStep, Selector.Alpha, accounted, ref executed, Distributed);
        if (Distributed.Size > 1) AverageGradientsAcrossProcesses();
        var (norm, lr, position) = Update();
        Selector.AfterStep(stats, position is { } q ? (int)Math.Floor(q) : StepIndex, Options.ScheduleSteps ?? Options.Steps);
        double ms = StepMilliseconds(start);
        TotalFlopsAccounted += stats.FlopsAccounted; TotalFlopsExecuted += executed; TotalMilliseconds += ms; // FLOPs: all processes'
        return new StepResult
        {
            Step = StepIndex++, Loss = (float)stats.LossAll, LearningRate = lr, GradientNorm = norm, Milliseconds = ms,
            TokensPerSecond = (double)Options.TokensPerStep * Distributed.Size / (ms / 1000.0), // all processes' tokens
            FlopsExecuted = executed, Strategy = Selector.Name, Selection = stats,
        };
    }

    /// <summary>Next batch into the micro-batch, with its row positions and the sequence filter; returns the filter's accounted FLOPs.</summary>
    private double Draw(MicroBatch mb)
    {
        Data.NextBatch(mb.OriginalInputs, mb.OriginalTargets);
        mb.CapturePositions(Data);
        var kept = _auxiliary.FilterSequences(Selector, mb.OriginalInputs, mb.OriginalTargets, Options.BatchSize, Options.SequenceLength, out double flops);
        mb.KeepSequences(kept, Options.BatchSize, Options.SequenceLength);
        return flops;
    }

    /// <summary>Forward of one micro-batch, then its statistics and scores into the step's buffers at <paramref name="offset"/>.</summary>
    private double ForwardAndScore(MicroBatch mb, int offset)
    {
        double flops = Forward(mb);
        mb.Offset = offset;
        var stats = _auxiliary.Stats(mb.Tokens, Options.SequenceLength);
        Selector.Score(stats, _scores.AsSpan(offset, mb.Tokens));
        stats.Loss.CopyTo(_statistics.Losses[offset..]);
        return flops;
    }

    /// <summary>Auxiliary forwards and the student's forward on one micro-batch; returns accounted FLOPs.</summary>
    private double Forward(MicroBatch mb)
    {
        int T = Options.SequenceLength;
        _auxiliary.SetRowPositions(mb.RowStarts.AsSpan(0, mb.PositionCount), mb.RowSources.AsSpan(0, mb.PositionCount));
        _auxiliary.BeforeStudentForward(mb.Inputs, mb.Targets, mb.B, T);
        Model.Forward(mb.Inputs.AsSpan(0, mb.Tokens), mb.Targets.AsSpan(0, mb.Tokens), mb.B, T);
        return FlopAccounting.Forward(Model.Config.ParameterCount + _auxiliary.Parameters, mb.Tokens);
    }

    /// <summary>Token weights from the keep marks, then the backward; returns accounted FLOPs.</summary>
    private double Backward(MicroBatch mb)
    {
        var weights = _weights.AsSpan(0, mb.Tokens);
        int kept = Weights().Fill(_keep.AsSpan(mb.Offset, mb.Tokens), weights);
        Model.Backward(weights);
        return FlopAccounting.Backward(Model.Config.ParameterCount, kept);
    }

    private TokenWeights Weights()
    {
        int sequences = 0;
        foreach (var m in _micro) sequences += m.B;
        int stepKept = 0;
        if (Selection.Scope == SelectionScope.Step && _micro.Length > 1)
            foreach (bool k in _keep.AsSpan(0, sequences * Options.SequenceLength)) if (k) stepKept++;
        return new TokenWeights(Selection.Scope, Selection.Normalize, Options.SequenceLength, _micro.Length, sequences)
        {
            StepKept = stepKept, GlobalKept = _globalKept, GlobalTokens = _globalTokens, Processes = Distributed.Size, StepTokens = Options.TokensPerStep,
        };
    }

    /// <summary>Marks kept tokens in [offset, offset+count): per sequence, or the whole range as one scope.</summary>
    private void Select(int offset, int count)
    {
        int T = Options.SequenceLength;
        var scores = _scores.AsSpan(offset, count);
        var keep = _keep.AsSpan(offset, count);
        if (Selection.Scope == SelectionScope.Sequence)
        {
            for (int s = 0; s < count / T; s++)
                _statistics.AddThreshold(Selector.Select(scores.Slice(s * T, T), keep.Slice(s * T, T), _localValueAtRisk));
            return;
        }
        bool global = Selection.Scope == SelectionScope.Global;
        _statistics.AddThreshold(Selector.Select(scores, keep, global ? new ProcessesValueAtRisk(Distributed) : _localValueAtRisk));
        if (global) CountGlobally(keep);
    }

    /// <summary>Issue 8: kept and total token counts of the global scope (all processes), for the normalisation.</summary>
    private void CountGlobally(ReadOnlySpan<bool> keep)
    {
        Span<double> counts = [0, Options.TokensPerStep]; // all tokens: those of sequences the proxy dropped count too (normalize=all)
        foreach (bool k in keep) if (k) counts[0]++;
        Distributed.AllReduceSum(counts);
        (_globalKept, _globalTokens) = (counts[0], counts[1]);
    }

    /// <summary>Gradients become the mean over processes (each process averaged over its own tokens).</summary>
    private void AverageGradientsAcrossProcesses()
    {
        var g = Model.Gradients.All;
        Distributed.AllReduceSum(g);
        System.Numerics.Tensors.TensorPrimitives.Multiply(g, 1f / Distributed.Size, g);
    }

    /// <summary>Clip by the global norm and take the AdamW step at the scheduled rate.</summary>
    private (double Norm, float LearningRate, double? Position) Update()
    {
        double norm;
        using (Model.Timer.Measure("gradnorm")) norm = GradientClipping.GlobalNorm(Model.Gradients);
        double? position = SchedulePosition?.Invoke(this);
        float lr = position is { } p ? Options.Schedule.At(p) : Options.Schedule.At(StepIndex);
        using (Model.Timer.Measure("adamw"))
            Optimizer.Update(Model.Parameters, Model.Gradients, lr, GradientClipping.ScaleFor(norm, Options.GradientClip), clearGradients: true);
        return (norm, lr, position);
    }

    /// <summary>This step's wall time; with several processes their mean, so wall-clock budgets and schedules agree (issue 8).</summary>
    private double StepMilliseconds(long start)
    {
        double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        if (Distributed.Size == 1) return ms;
        Span<double> time = [ms];
        Distributed.AllReduceSum(time);
        return time[0] / Distributed.Size;
    }

    /// <summary>
    /// Weighted mean loss over <paramref name="batches"/> batches from <paramref name="source"/> (no selection, no
    /// gradients): an <see cref="IValidationSource"/>'s weights count each distinct target of its sample once; any other
    /// source weighs every token 1.
    /// </summary>
    public ValidationResult Evaluate(IBatchSource source, int batches)
    {
        int bt = source.BatchSize * source.SequenceLength;
        var inputs = new int[bt]; var targets = new int[bt]; var weights = new float[bt];
        var sample = source as IValidationSource;
        if (sample is null) weights.AsSpan().Fill(1f);
        Span<double> sums = [0, 0]; // Σ weight·loss, Σ weight
        for (int i = 0; i < batches; i++)
        {
            if (sample is null) source.NextBatch(inputs, targets);
            else sample.NextBatch(inputs, targets, weights);
            Model.Forward(inputs, targets, source.BatchSize, source.SequenceLength);
            var losses = Model.Losses;
            for (int j = 0; j < bt; j++)
            {
                sums[0] += weights[j] * (double)losses[j];
                sums[1] += weights[j];
            }
        }
        // Issue 8: each process evaluates its slice of the same global batches; sums over processes give the global
        // mean (the slices' weights differ where a slice holds fill or repeated targets).
        Distributed.AllReduceSum(sums);
        return new ValidationResult(sums[1] == 0 ? double.NaN : sums[0] / sums[1], (long)sums[1], sample?.SplitTargets);
    }

    /// <summary>Batches one validation pass uses: the requested count, capped by what a validation sample holds.</summary>
    public static int ValidationBatches(IBatchSource source, int requested) =>
        source is IValidationSource v ? Math.Min(requested, v.BatchCount) : requested;

    public void Dispose()
    {
        Optimizer.Dispose();
        _auxiliary.Dispose();
    }

    /// <summary>VaR over every process's scores of the scope (<c>--selection-scope global</c>).</summary>
    private sealed class ProcessesValueAtRisk(IDistributed processes) : IValueAtRisk
    {
        public float Threshold(ReadOnlySpan<float> scores, ThresholdRule rule) => processes.GlobalThreshold(scores, rule);
    }
}
