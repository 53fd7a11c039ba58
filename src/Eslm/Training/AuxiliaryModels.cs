using Eslm.Data;
using Eslm.Model;
using Eslm.Ops;
using Eslm.Selection;

namespace Eslm.Training;

/// <summary>
/// Every model run a selector asked for (<see cref="AuxiliaryNeeds"/>), owned by training so selectors stay pure:
/// Rho-1's reference (online, or its losses from a sidecar by token position), ESLM-KD's teacher (its losses,
/// entropies, the KL to the student and the distillation head gradient) and the hierarchical early-exit proxy.
/// </summary>
public sealed unsafe class AuxiliaryModels : IDisposable
{
    private readonly Gpt _student;
    private readonly Gpt? _reference, _teacher;
    private readonly ReferenceLossFile? _sidecar;
    private readonly AuxiliaryNeeds _needs;
    private float[] _referenceLosses = [], _teacherKl = [];
    private long[] _rowStarts = [];
    private bool _havePositions;

    public AuxiliaryModels(AuxiliaryNeeds needs, Gpt student, Func<string, Gpt>? loadModel)
    {
        _needs = needs;
        _student = student;
        Gpt Load(string path) => (loadModel ?? throw new ArgumentException("this strategy needs a model loader"))(path);
        try
        {
            if (needs.ReferenceLossFile is { } sidecar) _sidecar = ReferenceLossFile.Open(sidecar);
            if (needs.ReferenceModel is { } reference) _reference = CheckVocabulary(Load(reference), "reference model vocabulary");
            if (needs.TeacherModel is { } teacher) _teacher = CheckVocabulary(Load(teacher), "teacher vocabulary");
        }
        catch
        {
            Dispose();
            throw;
        }
        if (needs.ProxyLayers > student.Config.L) // a silent clamp would train with another proxy than the one recorded
        {
            Dispose();
            throw new ArgumentException($"--proxy-layers {needs.ProxyLayers} exceeds the model's {student.Config.L} layers");
        }
        HeadGradient = needs.Distillation is { } d && _teacher is not null ? DistillationGradient(d) : null;
    }

    /// <summary>
    /// Checks that the reference-loss sidecar (if any) scored the training data's tokens, before the first step; returns a
    /// warning when the sidecar predates recorded checksums. Sources that cannot name their tokens are not checked here
    /// (look-ups outside the sidecar still fail).
    /// </summary>
    public string? CheckSidecar(IBatchSource data)
    {
        if (_sidecar is null || data is not ITokenSources { TokenSources: [var tokens] }) return null;
        return _sidecar.CheckBelongsTo(tokens);
    }

    /// <summary>Parameters of the models whose forward runs on every student token (for FLOP accounting).</summary>
    public long Parameters => (_reference ?? _teacher)?.Config.ParameterCount ?? 0;

    /// <summary>Replacement for the cross-entropy head gradient (distillation), or null.</summary>
    public Gpt.HeadRowGradient? HeadGradient { get; }

    /// <summary>Layers of the early-exit proxy (0 = none; at most the student's depth, checked at construction).</summary>
    public int ProxyLayers => _needs.ProxyLayers;

    /// <summary>Where the next micro-batch's rows come from (for sidecar look-ups).</summary>
    public void SetRowPositions(ReadOnlySpan<long> rowStarts, ReadOnlySpan<int> rowSources)
    {
        if (_sidecar is null) return;
        foreach (int s in rowSources)
            if (s != 0) throw new ArgumentException("rho1 with a reference-loss file needs a single training dataset (not a mixture)");
        if (_rowStarts.Length < rowStarts.Length) _rowStarts = new long[rowStarts.Length];
        rowStarts.CopyTo(_rowStarts);
        _havePositions = rowStarts.Length > 0;
    }

    /// <summary>Runs the reference or teacher on the micro-batch (before the student's forward).</summary>
    public void BeforeStudentForward(ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets, int batchSize, int sequenceLength)
    {
        int n = batchSize * sequenceLength;
        if (_sidecar is not null)
        {
            EnsureLength(ref _referenceLosses, n);
            if (!_havePositions)
                throw new InvalidOperationException($"{_sidecar.Path}: the data source does not report token positions, so reference losses cannot be looked up");
            for (int b = 0; b < batchSize; b++)
                _sidecar.TargetsOfWindow(_rowStarts[b], _referenceLosses.AsSpan(b * sequenceLength, sequenceLength));
        }
        if (_reference is not null)
        {
            EnsureLength(ref _referenceLosses, n);
            CheckContext(_reference, sequenceLength, "the reference model's context");
            _reference.Forward(inputs[..n], targets[..n], batchSize, sequenceLength);
            _reference.Losses.CopyTo(_referenceLosses);
        }
        if (_teacher is not null)
        {
            CheckContext(_teacher, sequenceLength, "the teacher's context");
            _teacher.Forward(inputs[..n], targets[..n], batchSize, sequenceLength);
        }
    }

    /// <summary>The statistics of the micro-batch the student just forwarded (valid until the next forward).</summary>
    public TokenStats Stats(int tokens, int sequenceLength)
    {
        if (_needs.TeacherKl && _teacher is not null) ComputeTeacherKl(tokens);
        return new TokenStats
        {
            Loss = _student.Losses[..tokens],
            Entropy = _student.Entropies[..tokens],
            ReferenceLoss = _sidecar is null && _reference is null ? default : _referenceLosses.AsSpan(0, tokens),
            TeacherLoss = _teacher is null ? default : _teacher.Losses[..tokens],
            TeacherEntropy = _teacher is null ? default : _teacher.Entropies[..tokens],
            TeacherKl = _needs.TeacherKl ? _teacherKl.AsSpan(0, tokens) : default,
            SequenceLength = sequenceLength,
        };
    }

    /// <summary>
    /// Hierarchical selection: the student's first <see cref="ProxyLayers"/> blocks, final LayerNorm and head on the
    /// micro-batch, then the selector's sequence filter. Returns the kept sequences (null = all) and the proxy's FLOPs.
    /// </summary>
    public int[]? FilterSequences(TokenSelector selector, ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets, int batchSize, int sequenceLength,
        out double accountedFlops)
    {
        accountedFlops = 0;
        int layers = ProxyLayers;
        if (layers == 0) return null;
        int n = batchSize * sequenceLength;
        _student.Forward(inputs[..n], targets[..n], batchSize, sequenceLength, exitAfterLayers: layers);
        accountedFlops = FlopAccounting.Forward(FlopAccounting.ProxyParameters(_student.Config, layers), n);
        return selector.SelectSequences(new TokenStats
        {
            Loss = _student.Losses[..n], Entropy = _student.Entropies[..n], SequenceLength = sequenceLength,
        }, batchSize);
    }

    /// <summary>KL(teacher ‖ student) per token from both models' exp rows (the forward's logits, before any backward).</summary>
    private void ComputeTeacherKl(int tokens)
    {
        EnsureLength(ref _teacherKl, tokens);
        var s = _student; var t = _teacher!;
        var ss = s.RowSums; var st = t.RowSums;
        for (int r = 0; r < tokens; r++)
            _teacherKl[r] = (float)KnowledgeDistillation.KlTeacherStudent(s.LogitsRow(r), ss[r], t.LogitsRow(r), st[r], s.Config.VocabSize);
    }

    private Gpt.HeadRowGradient DistillationGradient(Distillation d)
    {
        var teacher = _teacher!;
        int V = _student.Config.VocabSize, Vp = _student.Config.Vp;
        return (row, destination, expRow, rowSum, target, weight) =>
        {
            if (weight == 0f) { new Span<float>(destination, Vp).Clear(); return; }
            KnowledgeDistillation.RowGradient(destination, expRow, rowSum, teacher.LogitsRow(row), teacher.RowSums[row], target, weight, d.Lambda, d.Temperature, V, Vp);
        };
    }

    private Gpt CheckVocabulary(Gpt model, string what)
    {
        if (model.Config.VocabSize != _student.Config.VocabSize)
        {
            model.Dispose();
            throw new ArgumentException($"{what} ({model.Config.VocabSize}) differs from the student's ({_student.Config.VocabSize})");
        }
        return model;
    }

    private static void CheckContext(Gpt model, int sequenceLength, string what)
    {
        if (sequenceLength > model.Config.MaxSequenceLength)
            throw new ArgumentException($"sequence length {sequenceLength} exceeds {what} of {model.Config.MaxSequenceLength}");
    }

    private static void EnsureLength(ref float[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new float[length];
    }

    public void Dispose()
    {
        _reference?.Dispose();
        _teacher?.Dispose();
        _sidecar?.Dispose();
    }
}
