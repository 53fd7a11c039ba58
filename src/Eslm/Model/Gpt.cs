using System.Runtime.InteropServices;
using Eslm.Tensors;
using Eslm.Native;
using Eslm.Ops;
using static Eslm.Model.ParameterLayout;

namespace Eslm.Model;

/// <summary>
/// A GPT-2 model: parameters, gradients and activations, with an explicit forward and backward (llm.c style).
/// <para>Forward fills per-token <see cref="Losses"/> and <see cref="Entropies"/>. Backward starts from a per-token weight
/// vector dL/dloss_i (plain training: 1/M each), so token selection is only a matter of filling that vector. Tokens with
/// weight 0 cost no LM-head backward and no backward in the last block's row-wise parts, and positions after a sequence's
/// last weighted token cost no backward at all (GptKeptRowsBackward.cs; <see cref="BackwardMode"/> for the all-layers variant).</para>
/// </summary>
public sealed unsafe partial class Gpt : IDisposable
{
    /// <summary>
    /// Writes the gradient of weight·(token loss) w.r.t. one row of logits into <c>destination</c> (which may alias
    /// <c>expRow</c>, the forward's exp(x − max) row with sum <c>rowSum</c>). Replaces plain cross-entropy, e.g. for distillation.
    /// </summary>
    public delegate void HeadRowGradient(int row, float* destination, float* expRow, float rowSum, int target, float weight);

    /// <summary>Kept rows of the LM-head backward are gathered in chunks of this many rows (bounds the scratch memory).</summary>
    public const int HeadChunkRows = 1024;

    private TensorBlock? _acts, _scratch;
    private ActivationPointers _a;   // resolved once per (re)allocation
    private ScratchPointers _s;
    private readonly LayerTensors[] _weights, _weightGradients; // per layer; the parameter blocks never move
    private int* _inputs, _targets;
    private int _capacityB, _capacityT;
    private int[] _keptRows = [], _activeLength = [], _sequenceKeptStart = [];
    private readonly List<(int Start, int Count)> _ranges = new();
    private GemmBackend _gemm = GemmBackend.Fp32;
    private int _headChunkRows = HeadChunkRows;

    public Gpt(GptConfig config)
    {
        Config = config.Validated();
        Parameters = new TensorBlock(ParameterLayout.For(config));
        Gradients = new TensorBlock(ParameterLayout.For(config));
        _weights = [.. Enumerable.Range(0, Config.L).Select(l => new LayerTensors(Parameters, l, Config.C))];
        _weightGradients = [.. Enumerable.Range(0, Config.L).Select(l => new LayerTensors(Gradients, l, Config.C))];
    }

    public GptConfig Config { get; }
    public TensorBlock Parameters { get; }
    public TensorBlock Gradients { get; }
    public OpTimer Timer { get; } = new();

    /// <summary>What the backward does with zero-weight tokens (see <see cref="Model.BackwardMode"/>); exact by default.</summary>
    public BackwardMode BackwardMode { get; set; } = BackwardMode.Exact;

    /// <summary>
    /// Operand precision of the linear layers' and LM head's products (forward, dX and dW); fp32 by default. Setting bf16
    /// throws <see cref="NotSupportedException"/> when oneDNN or AVX512-BF16 is missing. Everything else stays fp32.
    /// </summary>
    public Precision Precision
    {
        get => _gemm.Precision;
        set
        {
            if (value == _gemm.Precision) return;
            var next = GemmBackend.For(value, Parameters);
            _gemm.Dispose();
            _gemm = next;
            if (_scratch is not null) AllocateScratch(_capacityB, _capacityT);
        }
    }

    /// <summary>The backend of the model's linear-layer and head products (the KV-cache sampler uses it too).</summary>
    internal GemmBackend Gemm => _gemm;

    /// <summary>Optional replacement for the cross-entropy row gradient (null = plain cross-entropy).</summary>
    public HeadRowGradient? RowGradient { get; set; }

    /// <summary>Batch shape of the last forward.</summary>
    public int B { get; private set; }
    public int T { get; private set; }

    /// <summary>Per-token cross-entropy of the last forward, [B·T].</summary>
    public Span<float> Losses => new(Forwarded.Losses, B * T);

    /// <summary>Per-token entropy of the predicted distribution (nats) of the last forward, [B·T].</summary>
    public Span<float> Entropies => new(Forwarded.Entropy, B * T);

    /// <summary>
    /// Row <paramref name="row"/> (of B·T) of the last forward's logits buffer, Vp floats. After the fused cross-entropy it
    /// holds exp(x − max) (same argmax as the logits), whose sum over the V real ids is <see cref="RowSums"/>[row].
    /// </summary>
    public float* LogitsRow(int row)
    {
        var a = Forwarded;
        if ((uint)row >= (uint)(B * T)) throw new ArgumentOutOfRangeException(nameof(row), $"row {row} is outside [0, {B * T})");
        return a.Logits + (long)row * Config.Vp;
    }

    /// <summary>Per-row Σ exp(x − max) over the V real ids of the last forward, [B·T] (see <see cref="LogitsRow"/>).</summary>
    public Span<float> RowSums => new(Forwarded.RowSum, B * T);

    /// <summary>Activations of the last forward by layout name (for tests and tools; the model uses typed pointers).</summary>
    public TensorBlock Activations => _acts ?? throw new InvalidOperationException("no forward has run yet");

    /// <summary>The activation pointers, once a forward has run and while the model is not disposed.</summary>
    private ActivationPointers Forwarded
    {
        get
        {
            if (_acts is null) throw new InvalidOperationException("no forward has run yet");
            _ = _acts.Data; // ObjectDisposedException after Dispose, rather than a dangling pointer
            return _a;
        }
    }

    /// <summary>
    /// Forward over B sequences of T tokens. <paramref name="targets"/> are the next tokens; per-token losses and entropies
    /// land in <see cref="Losses"/> and <see cref="Entropies"/>. Returns the mean loss over all tokens.
    /// <paramref name="exitAfterLayers"/> &lt; L runs an early-exit proxy: the first layers, then the final LayerNorm and
    /// the shared head (used to score whole sequences cheaply; such a forward cannot be back-propagated).
    /// </summary>
    public float Forward(ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets, int batchSize, int sequenceLength, int exitAfterLayers = -1)
    {
        var cfg = Config;
        if (batchSize < 1) throw new ArgumentException($"batch size must be >= 1 (got {batchSize})");
        if (sequenceLength < 1) throw new ArgumentException($"sequence length must be >= 1 (got {sequenceLength})");
        if (sequenceLength > cfg.MaxSequenceLength)
            throw new ArgumentException($"sequence length {sequenceLength} exceeds the model's context of {cfg.MaxSequenceLength}");
        int BT = batchSize * sequenceLength;
        if (inputs.Length != BT || targets.Length != BT)
            throw new ArgumentException($"expected {BT} inputs and targets for B={batchSize}, T={sequenceLength} (got {inputs.Length} and {targets.Length})");
        EnsureCapacity(batchSize, sequenceLength);
        B = batchSize; T = sequenceLength;
        CopyTokens(inputs, _inputs, "input");
        CopyTokens(targets, _targets, "target");

        int L = exitAfterLayers < 0 ? cfg.L : exitAfterLayers, C = cfg.C, NH = cfg.NH, V = cfg.VocabSize, Vp = cfg.Vp;
        if (L < 1 || L > cfg.L) throw new ArgumentException($"early exit after {exitAfterLayers} layers: must be in [1, {cfg.L}]");
        LastForwardLayers = L;
        _gemm.BeginForward();
        var a = _a;
        var p = Parameters;
        using (Timer.Measure("encoder.fwd"))
            Encoder.Forward(a.Encoded, _inputs, p.Pointer(Wte), p.Pointer(Wpe), B, T, C);

        for (int l = 0; l < L; l++)
        {
            var w = _weights[l];
            var x = Layer(l);
            float* residual = LayerInput(l);
            using (Timer.Measure("layernorm.fwd")) LayerNorm.Forward(x.Ln1, x.Ln1Mean, x.Ln1Rstd, residual, w.Ln1W, w.Ln1B, BT, C);
            using (Timer.Measure("matmul.fwd")) MatMul.Forward(x.Qkv, x.Ln1, w.QkvW, w.QkvB, BT, C, 3 * C, gemm: _gemm);
            using (Timer.Measure("attention.fwd")) Attention.Forward(x.Atty, x.Att, x.Qkv, B, T, C, NH);
            using (Timer.Measure("matmul.fwd"))
            {
                Copy(x.Residual2, residual, (long)BT * C);
                MatMul.Forward(x.Residual2, x.Atty, w.AttProjW, w.AttProjB, BT, C, C, accumulate: true, gemm: _gemm);
            }
            using (Timer.Measure("layernorm.fwd")) LayerNorm.Forward(x.Ln2, x.Ln2Mean, x.Ln2Rstd, x.Residual2, w.Ln2W, w.Ln2B, BT, C);
            using (Timer.Measure("matmul.fwd")) MatMul.Forward(x.Fch, x.Ln2, w.FcW, w.FcB, BT, C, 4 * C, gemm: _gemm);
            using (Timer.Measure("gelu.fwd")) Gelu.Forward(x.FchGelu, x.Fch, (long)BT * 4 * C);
            using (Timer.Measure("matmul.fwd"))
            {
                Copy(x.Residual3, x.Residual2, (long)BT * C);
                MatMul.Forward(x.Residual3, x.FchGelu, w.FcProjW, w.FcProjB, BT, 4 * C, C, accumulate: true, gemm: _gemm);
            }
        }

        float* last = Layer(L - 1).Residual3;
        using (Timer.Measure("layernorm.fwd"))
            LayerNorm.Forward(a.Lnf, a.LnfMean, a.LnfRstd, last, p.Pointer(LnfW), p.Pointer(LnfB), BT, C);
        using (Timer.Measure("head.fwd"))
            _gemm.LinearForward(a.Logits, a.Lnf, p.Pointer(Wte), BT, C, Vp, 0f);
        using (Timer.Measure("crossentropy.fwd"))
            CrossEntropy.Forward(a.Losses, a.Entropy, a.RowSum, a.Logits, _targets, BT, V, Vp, fastExp: _gemm.Precision == Precision.Bf16);
        double sum = 0;
        foreach (float loss in Losses) sum += loss;
        return (float)(sum / BT);
    }

    /// <summary>Layers the last forward ran (L unless it was an early-exit proxy forward).</summary>
    public int LastForwardLayers { get; private set; }

    /// <summary>Gradients ← 0 (call once per optimizer step; backward accumulates across micro-batches).</summary>
    public void ZeroGradients() => Gradients.Clear();

    /// <summary>
    /// Backward of Σ_i dLosses[i]·loss_i for the last forward, accumulated into <see cref="Gradients"/>.
    /// Plain training passes 1/M for every token. Zero weights are skipped: the LM-head backward and the last block's MLP,
    /// attention projection and queries run over the weighted rows only, and each sequence's backward stops at its last
    /// weighted position. With <see cref="BackwardMode.KeptRows"/> every layer runs over the weighted rows only.
    /// Must follow the forward it differentiates (the forward's logits are consumed).
    /// <para>Three paths: every row weighted → <see cref="DenseBackward"/>; some dropped →
    /// <see cref="ExactBackwardWithCompactTop"/> (exact) or <see cref="KeptRowsBackward"/> (kept-rows mode).</para>
    /// </summary>
    public void Backward(ReadOnlySpan<float> dLosses)
    {
        if (_acts is null) throw new InvalidOperationException("backward needs a forward first");
        if (LastForwardLayers != Config.L) throw new InvalidOperationException("backward needs a full-depth forward (the last one was an early-exit proxy)");
        int BT = B * T;
        if (dLosses.Length != BT) throw new ArgumentException($"expected {BT} token weights, got {dLosses.Length}");

        int kept = PlanActiveRows(dLosses);
        _s.DResidualSpan.Clear();
        if (kept == 0) return;

        // dLn ← dLnf: every row in place, or (some tokens dropped) the kept rows only, compact in kept order.
        fixed (float* dLossPtr = dLosses)
        {
            using (Timer.Measure("head.bwd")) HeadBackward(dLossPtr, kept, _s.DLn);
        }
        if (kept == BT) DenseBackward();
        else if (BackwardMode == BackwardMode.KeptRows) KeptRowsBackward(kept);
        else ExactBackwardWithCompactTop(kept);
    }

    /// <summary>Every row weighted: the final LayerNorm, all layers and the embeddings over the active row ranges.</summary>
    private void DenseBackward()
    {
        int L = Config.L, C = Config.C;
        var p = Parameters; var g = Gradients;
        using (Timer.Measure("layernorm.bwd"))
            foreach (var (r0, n) in _ranges)
                LayerNorm.Backward(_s.DResidual + (long)r0 * C, g.Pointer(LnfW), g.Pointer(LnfB), _s.DLn + (long)r0 * C,
                    Layer(L - 1).Residual3 + (long)r0 * C, p.Pointer(LnfW),
                    _a.LnfMean + r0, _a.LnfRstd + r0, n, C);
        DenseLayersBackward(L - 1);
    }

    /// <summary>
    /// Layers <paramref name="top"/> down to 0 (none when negative) and the embeddings, over the active row ranges, from
    /// dResidual (the gradient at layer <paramref name="top"/>'s output).
    /// </summary>
    private void DenseLayersBackward(int top)
    {
        for (int l = top; l >= 0; l--)
        {
            DenseBlockUpperBackward(l);
            DenseBlockLowerBackward(l);
        }
        using (Timer.Measure("encoder.bwd"))
            Encoder.Backward(Gradients.Pointer(Wte), Gradients.Pointer(Wpe), _s.DResidual, _inputs, B, T, Config.C, _activeLength);
    }

    /// <summary>Layer <paramref name="l"/>'s MLP and attention: dResidual (at the layer's output) → dResidual at residual2, and dQkv.</summary>
    private void DenseBlockUpperBackward(int l)
    {
        int C = Config.C, NH = Config.NH;
        var w = _weights[l]; var dw = _weightGradients[l]; var x = Layer(l);
        float* dResidual = _s.DResidual, dLn = _s.DLn, dQkv = _s.DQkv, dAtty = _s.DAtty, dFch = _s.DFch;

        // residual3 = residual2 + fcproj(gelu(fc(ln2(residual2)))): dResidual flows through unchanged.
        using (Timer.Measure("matmul.bwd")) LinearBackward(dFch, dw.FcProjW, dw.FcProjB, dResidual, x.FchGelu, w.FcProjW, 4 * C, C);
        using (Timer.Measure("gelu.bwd"))
            foreach (var (r0, n) in _ranges) Gelu.Backward(dFch + (long)r0 * 4 * C, x.Fch + (long)r0 * 4 * C, dFch + (long)r0 * 4 * C, (long)n * 4 * C, overwrite: true);
        using (Timer.Measure("matmul.bwd")) LinearBackward(dLn, dw.FcW, dw.FcB, dFch, x.Ln2, w.FcW, C, 4 * C);
        using (Timer.Measure("layernorm.bwd"))
            foreach (var (r0, n) in _ranges)
                LayerNorm.Backward(dResidual + (long)r0 * C, dw.Ln2W, dw.Ln2B, dLn + (long)r0 * C, x.Residual2 + (long)r0 * C, w.Ln2W, x.Ln2Mean + r0, x.Ln2Rstd + r0, n, C);

        // residual2 = residual + attproj(attention(qkv(ln1(residual)))).
        using (Timer.Measure("matmul.bwd")) LinearBackward(dAtty, dw.AttProjW, dw.AttProjB, dResidual, x.Atty, w.AttProjW, C, C);
        using (Timer.Measure("attention.bwd"))
        {
            _s.DQkvSpan.Clear();
            Attention.Backward(dQkv, dAtty, x.Qkv, x.Att, B, T, C, NH, _activeLength);
        }
    }

    /// <summary>Layer <paramref name="l"/>'s qkv projection and first LayerNorm: dQkv → dResidual at the layer's input.</summary>
    private void DenseBlockLowerBackward(int l)
    {
        int C = Config.C;
        var w = _weights[l]; var dw = _weightGradients[l]; var x = Layer(l);
        float* residual = LayerInput(l), dResidual = _s.DResidual, dLn = _s.DLn;
        using (Timer.Measure("matmul.bwd")) LinearBackward(dLn, dw.QkvW, dw.QkvB, _s.DQkv, x.Ln1, w.QkvW, C, 3 * C);
        using (Timer.Measure("layernorm.bwd"))
            foreach (var (r0, n) in _ranges)
                LayerNorm.Backward(dResidual + (long)r0 * C, dw.Ln1W, dw.Ln1B, dLn + (long)r0 * C, residual + (long)r0 * C, w.Ln1W, x.Ln1Mean + r0, x.Ln1Rstd + r0, n, C);
    }

    /// <summary>
    /// Finds the rows with non-zero weight (LM-head rows; sequence b's run of them in the compact order starts at
    /// <c>_sequenceKeptStart[b]</c>, and entry B is the total), each sequence's
    /// active length (last weighted position + 1) and the contiguous row ranges the backward must cover. Returns the number
    /// of weighted rows.
    /// </summary>
    private int PlanActiveRows(ReadOnlySpan<float> dLosses)
    {
        int kept = 0;
        _ranges.Clear();
        for (int b = 0; b < B; b++)
        {
            int active = 0;
            _sequenceKeptStart[b] = kept;
            for (int t = 0; t < T; t++)
            {
                int i = b * T + t;
                if (dLosses[i] != 0f) { _keptRows[kept++] = i; active = t + 1; }
            }
            _activeLength[b] = active;
            if (active == 0) continue;
            int start = b * T;
            if (_ranges.Count > 0 && _ranges[^1].Start + _ranges[^1].Count == start)
                _ranges[^1] = (_ranges[^1].Start, _ranges[^1].Count + active);
            else _ranges.Add((start, active));
        }
        _sequenceKeptStart[B] = kept;
        return kept;
    }

    /// <summary>
    /// LM-head + cross-entropy backward into dLnf (overwritten). All rows weighted: in place, one GEMM pair, dLnf in row
    /// order. Otherwise the weighted rows' logit gradients are gathered into a compact buffer, chunk by chunk, so both
    /// GEMMs shrink to the kept rows, and dLnf holds the kept rows only, compact in kept order.
    /// </summary>
    private void HeadBackward(float* dLosses, int kept, float* dLnf)
    {
        var cfg = Config;
        int C = cfg.C, V = cfg.VocabSize, Vp = cfg.Vp, BT = B * T;
        float* logits = _a.Logits, rowSum = _a.RowSum, lnf = _a.Lnf;
        float* wte = Parameters.Pointer(Wte), dWte = Gradients.Pointer(Wte);
        int* targets = _targets;
        var rowGradient = RowGradient;
        int[]? keptRows = kept == BT ? null : _keptRows;
        // Precisions with their own path (bf16) take the logit gradients row by row and never store them whole in fp32.
        if (_gemm.TryLinearBackwardFromRows(dLnf, dWte, wte, lnf, keptRows, kept, C, Vp, (j, destination) =>
            {
                int r = keptRows is null ? j : keptRows[j];
                if (rowGradient is null) CrossEntropy.BackwardRow(destination, logits + (long)r * Vp, rowSum[r], targets[r], dLosses[r], V, Vp);
                else rowGradient(r, destination, logits + (long)r * Vp, rowSum[r], targets[r], dLosses[r]);
            }, keptRows is null ? logits : null))
            return;
        if (kept == BT)
        {
            new Span<float>(dLnf, BT * C).Clear();
            if (rowGradient is null) CrossEntropy.Backward(logits, rowSum, targets, dLosses, BT, V, Vp);
            else
                Parallelism.For(BT, 4, (start, end) =>
                {
                    for (int r = start; r < end; r++)
                        rowGradient(r, logits + (long)r * Vp, logits + (long)r * Vp, rowSum[r], targets[r], dLosses[r]);
                });
            _gemm.LinearBackward(dLnf, 0f, dWte, logits, lnf, wte, BT, C, Vp, BT);
            return;
        }
        float* dlogits = _s.HeadDLogits, lnfRows = _s.HeadLnf;
        int[] rows = _keptRows;
        for (int j0 = 0; j0 < kept; j0 += _headChunkRows)
        {
            int n = Math.Min(_headChunkRows, kept - j0);
            Parallelism.For(n, 4, (start, end) =>
            {
                for (int j = start; j < end; j++)
                {
                    int r = rows[j0 + j];
                    if (rowGradient is null)
                        CrossEntropy.BackwardRow(dlogits + (long)j * Vp, logits + (long)r * Vp, rowSum[r], targets[r], dLosses[r], V, Vp);
                    else rowGradient(r, dlogits + (long)j * Vp, logits + (long)r * Vp, rowSum[r], targets[r], dLosses[r]);
                    Copy(lnfRows + (long)j * C, lnf + (long)r * C, C);
                }
            });
            // Zero rows up to a multiple of 32 keep the dWte product's k a multiple of 32: one GEMM call, and the
            // same bits on any thread count (see OpenBlas.Sgemm), for the price of at most 31 empty rows.
            int padded = (n + 31) / 32 * 32;
            new Span<float>(dlogits + (long)n * Vp, (padded - n) * Vp).Clear();
            new Span<float>(lnfRows + (long)n * C, (padded - n) * C).Clear();
            _gemm.LinearBackward(dLnf + (long)j0 * C, 0f, dWte, dlogits, lnfRows, wte, n, C, Vp, padded);
        }
    }

    /// <summary>MatMul backward over the active row ranges; dInput is overwritten on those rows (it is layer scratch).</summary>
    private void LinearBackward(float* dInput, float* dWeight, float* dBias, float* dOutput, float* input, float* weight, int inC, int outC)
    {
        foreach (var (r0, n) in _ranges)
        {
            MatMul.Backward(dInput + (long)r0 * inC, dWeight, dBias, dOutput + (long)r0 * outC, input + (long)r0 * inC, weight, n, inC, outC,
                overwriteInput: true, gemm: _gemm);
        }
    }

    /// <summary>Layer <paramref name="l"/>'s parameter pointers (resolved once per model; for the KV-cache decoder).</summary>
    internal LayerTensors LayerWeights(int l) => _weights[l];

    /// <summary>One layer's activations; layer strides use the allocated capacity, so smaller batches reuse the buffers.</summary>
    private LayerActivations Layer(int l) => new(in _a, l, _capacityB, _capacityT, Config.C, Config.NH);

    /// <summary>The residual stream entering layer <paramref name="l"/>: the embeddings, or the previous layer's output.</summary>
    private float* LayerInput(int l) => l == 0 ? _a.Encoded : Layer(l - 1).Residual3;

    /// <summary>Allocates activations for B×T, or reuses them when the batch fits the current capacity (same T, B ≤ capacity).</summary>
    private void EnsureCapacity(int batchSize, int sequenceLength)
    {
        if (_acts is not null && batchSize <= _capacityB && sequenceLength == _capacityT) return;
        _acts?.Dispose();
        if (_inputs != null) { NativeMemory.Free(_inputs); NativeMemory.Free(_targets); }
        _acts = new TensorBlock(ActivationLayout.For(Config, batchSize, sequenceLength));
        _a = new ActivationPointers(_acts);
        AllocateScratch(batchSize, sequenceLength);
        int BT = batchSize * sequenceLength;
        _inputs = (int*)NativeMemory.Alloc((nuint)BT, sizeof(int));
        _targets = (int*)NativeMemory.Alloc((nuint)BT, sizeof(int));
        _keptRows = new int[BT];
        _activeLength = new int[batchSize];
        _sequenceKeptStart = new int[batchSize + 1];
        _capacityB = batchSize; _capacityT = sequenceLength;
    }

    /// <summary>
    /// The backward scratch. Its fp32 LM-head chunk buffers (logit gradients of the kept rows) are only needed where the
    /// backend stores dY in fp32: bf16 keeps room for the short fp32 fallback only (products under 32 rows), ~200 MB less on GPT-2's vocabulary.
    /// </summary>
    private void AllocateScratch(int batchSize, int sequenceLength)
    {
        _scratch?.Dispose();
        _headChunkRows = _gemm.Precision == Precision.Fp32 ? HeadChunkRows : 32;
        _scratch = new TensorBlock(ActivationLayout.GradientScratchFor(Config, batchSize, sequenceLength, _headChunkRows));
        _s = new ScratchPointers(_scratch);
    }

    private void CopyTokens(ReadOnlySpan<int> source, int* destination, string what)
    {
        int V = Config.VocabSize;
        for (int i = 0; i < source.Length; i++)
        {
            int id = source[i];
            if ((uint)id >= (uint)V)
                throw new ArgumentException($"{what} token id {id} at position {i} is outside the vocabulary [0, {V})");
            destination[i] = id;
        }
    }

    private static void Copy(float* destination, float* source, long count) =>
        Buffer.MemoryCopy(source, destination, count * sizeof(float), count * sizeof(float));

    public void Dispose()
    {
        _gemm.Dispose(); _gemm = GemmBackend.Fp32;
        Parameters.Dispose(); Gradients.Dispose(); _acts?.Dispose(); _scratch?.Dispose();
        if (_inputs != null) { NativeMemory.Free(_inputs); NativeMemory.Free(_targets); _inputs = null; _targets = null; }
    }
}
