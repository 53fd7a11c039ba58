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
/// last weighted token cost no backward at all (GptBackward.cs; <see cref="BackwardMode"/> for the all-layers variant).</para>
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
    private Bf16Block? _shadows;     // bf16 models: the activation shadows (ActivationLayout.Bf16ShadowsFor)
    private ActivationPointers _a;   // resolved once per (re)allocation
    private ShadowPointers _sh;
    private bool _shadowed;          // the last forward wrote the shadows (false after a precision change)
    private ScratchPointers _s;
    private readonly LayerTensors[] _weights, _weightGradients; // per layer; the blocks never move (the mirror: see Precision)
    private int* _inputs, _targets;
    private int _capacityB, _capacityT;
    private readonly RowPlan _rows = new();
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
            var next = GemmBackend.For(value);
            _gemm.Dispose();
            _gemm = next;
            // bf16 products read the parameter block's bf16 mirror and the activations' shadows; fp32 ones need neither.
            if (value == Precision.Bf16) Parameters.KeepBf16Mirror(); else Parameters.DropBf16Mirror();
            for (int l = 0; l < Config.L; l++) _weights[l] = new LayerTensors(Parameters, l, Config.C);
            if (_scratch is not null) AllocateScratch(_capacityB, _capacityT);
            if (_acts is not null) AllocateShadows();
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

    /// <summary>The bf16 shadows of the product inputs the last forward wrote (bf16 models), else null; for tests.</summary>
    internal Bf16Block? ActivationShadows => _shadowed ? _shadows : null;

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
        Parameters.Bf16Mirror?.Refresh(); // bf16: the products read the weights' rounded copies
        _shadowed = _shadows is not null;  // the products below write the activation shadows
        var a = _a;
        var p = Parameters;
        using (Timer.Measure("encoder.fwd"))
            Encoder.Forward(a.Encoded, _inputs, p.Pointer(Wte), p.Pointer(Wpe), B, T, C);
        for (int l = 0; l < L; l++) BlockForward(l);

        float* last = Layer(L - 1).Residual3;
        using (Timer.Measure("layernorm.fwd"))
            LayerNorm.Forward(a.Lnf, a.LnfMean, a.LnfRstd, last, p.Pointer(LnfW), p.Pointer(LnfB), BT, C, HeadInput.Bf16);
        using (Timer.Measure("head.fwd"))
            _gemm.LinearForward(a.Logits, HeadInput.WithBf16Written(), HeadWeight, BT, C, Vp, 0f);
        using (Timer.Measure("crossentropy.fwd"))
            CrossEntropy.Forward(a.Losses, a.Entropy, a.RowSum, a.Logits, _targets, BT, V, Vp, fastExp: _gemm.Precision == Precision.Bf16);
        double sum = 0;
        foreach (float loss in Losses) sum += loss;
        return (float)(sum / BT);
    }

    /// <summary>
    /// Layer <paramref name="l"/>'s block: residual3 = residual2 + fcproj(gelu(fc(ln2(residual2)))), where
    /// residual2 = residual + attproj(attention(qkv(ln1(residual)))); the projections add into the residual stream.
    /// </summary>
    private void BlockForward(int l)
    {
        int BT = B * T, C = Config.C, NH = Config.NH;
        var w = _weights[l];
        var x = Layer(l);
        float* residual = LayerInput(l);
        // bf16: LayerNorm, attention and GELU write their outputs' shadows in the pass that writes the outputs (null in fp32), and
        // the products that read them are told so (WithBf16Written) instead of rounding again; the bits are the same.
        using (Timer.Measure("layernorm.fwd")) LayerNorm.Forward(x.Ln1, x.Ln1Mean, x.Ln1Rstd, residual, w.Ln1W, w.Ln1B, BT, C, x.QkvInput.Bf16);
        using (Timer.Measure("matmul.fwd")) MatMul.Forward(x.Qkv, x.QkvInput.WithBf16Written(), w.QkvWeight, w.QkvB, BT, C, 3 * C, gemm: _gemm);
        using (Timer.Measure("attention.fwd")) Attention.Forward(x.Atty, x.Att, x.Qkv, B, T, C, NH, x.AttProjInput.Bf16, _gemm.Precision);
        using (Timer.Measure("matmul.fwd"))
            MatMul.Forward(x.Residual2, x.AttProjInput.WithBf16Written(), w.AttProjWeight, w.AttProjB, BT, C, C, gemm: _gemm, residual: residual);
        using (Timer.Measure("layernorm.fwd")) LayerNorm.Forward(x.Ln2, x.Ln2Mean, x.Ln2Rstd, x.Residual2, w.Ln2W, w.Ln2B, BT, C, x.FcInput.Bf16);
        using (Timer.Measure("matmul.fwd")) MatMul.Forward(x.Fch, x.FcInput.WithBf16Written(), w.FcWeight, w.FcB, BT, C, 4 * C, gemm: _gemm);
        using (Timer.Measure("gelu.fwd")) Gelu.Forward(x.FchGelu, x.Fch, (long)BT * 4 * C, x.FcProjInput.Bf16);
        using (Timer.Measure("matmul.fwd"))
            MatMul.Forward(x.Residual3, x.FcProjInput.WithBf16Written(), w.FcProjWeight, w.FcProjB, BT, 4 * C, C, gemm: _gemm, residual: x.Residual2);
    }

    /// <summary>Layers the last forward ran (L unless it was an early-exit proxy forward).</summary>
    public int LastForwardLayers { get; private set; }

    /// <summary>
    /// Gradients ← 0 (call once per optimizer step; backward accumulates across micro-batches). Skipped when they are
    /// known to be zero: the trainer's AdamW pass clears them as it reads them, which saves a pass over memory.
    /// </summary>
    public void ZeroGradients()
    {
        if (!Gradients.IsKnownZero) Gradients.Clear();
    }

    /// <summary>Layer <paramref name="l"/>'s parameter pointers (resolved once per model; for the KV-cache decoder).</summary>
    internal LayerTensors LayerWeights(int l) => _weights[l];

    /// <summary>The tied LM head's weight (wte) as a product operand, with its bf16 mirror slice in bf16.</summary>
    internal Operand HeadWeight => new(Parameters.Pointer(Wte), Parameters.Bf16Mirror is { } m ? m.Pointer(Wte) : null, Parameters.Bf16Mirror);

    /// <summary>The LM head's input (lnf) as a product operand, with its shadow when the last forward wrote one.</summary>
    private Operand HeadInput => new(_a.Lnf, _shadowed ? _sh.Lnf : null);

    /// <summary>One layer's activations; layer strides use the allocated capacity, so smaller batches reuse the buffers.</summary>
    private LayerActivations Layer(int l) => new(in _a, _shadowed ? _sh : default, l, _capacityB, _capacityT, Config.C, Config.NH);

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
        _rows.Allocate(batchSize, sequenceLength);
        _capacityB = batchSize; _capacityT = sequenceLength;
        AllocateShadows();
    }

    /// <summary>The activation shadows for the current capacity (bf16 products only), not yet written by a forward.</summary>
    private void AllocateShadows()
    {
        _shadows?.Dispose();
        _shadows = Precision == Precision.Bf16 ? new Bf16Block(ActivationLayout.Bf16ShadowsFor(Config, _capacityB, _capacityT)) : null;
        _sh = _shadows is null ? default : new ShadowPointers(_shadows);
        _shadowed = false;
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
        Parameters.Dispose(); Gradients.Dispose(); _acts?.Dispose(); _scratch?.Dispose(); _shadows?.Dispose();
        if (_inputs != null) { NativeMemory.Free(_inputs); NativeMemory.Free(_targets); _inputs = null; _targets = null; }
    }
}
