using Eslm.Tensors;

namespace Eslm.Ops;

/// <summary>
/// The one place the matrix products of the linear layers and the LM head pick their precision. Both products of a
/// linear map y = x·Wᵀ (W stored [outC, inC], row-major, like nn.Linear) go through here: the forward and the backward
/// pair dX = dY·W, dW += dYᵀ·X. <see cref="For"/> returns OpenBLAS SGEMM for fp32 (exactly the calls the engine always
/// made, so fp32 stays bit-for-bit) or oneDNN bf16 for bf16. Attention's batched products are small and run on Eslm's
/// workers; they pick their precision in <see cref="Attention"/> (AttentionBf16.cs).
/// </summary>
public abstract unsafe class GemmBackend : IDisposable
{
    /// <summary>The shared fp32 backend (stateless).</summary>
    public static GemmBackend Fp32 { get; } = new Fp32Gemm();

    /// <summary>
    /// The backend for <paramref name="precision"/>. Throws <see cref="NotSupportedException"/> (one sentence: what is
    /// missing, and to use fp32) when bf16 cannot run here. A backend keeps no copies of its operands: bf16 copies live
    /// with their owners and come in as <see cref="Operand.Bf16"/>.
    /// </summary>
    public static GemmBackend For(Precision precision) => precision switch
    {
        Precision.Fp32 => Fp32,
        Precision.Bf16 => new Bf16Gemm(),
        _ => throw new ArgumentOutOfRangeException(nameof(precision)),
    };

    public abstract Precision Precision { get; }

    /// <summary>
    /// output[rows,outC] = input[rows,inC] · weightᵀ + beta · output. A bf16 backend writes bf16(input) into the input's
    /// shadow when it has one (the backward's dW reads it back) and reads the weight's shadow when it has one.
    /// </summary>
    public abstract void LinearForward(float* output, Operand input, Operand weight, int rows, int inChannels, int outChannels, float beta);

    /// <summary>
    /// dInput[rows,inC] = dOutput[rows,outC] · weight + dInputBeta · dInput (skipped when dInput is null), then
    /// dWeight[outC,inC] += dOutput[0..weightRows)ᵀ · input[0..weightRows). <paramref name="weightRows"/> ≥ rows lets a
    /// caller pad with zero rows (the fp32 head does, to keep SGEMM's k a multiple of 32); a backend may ignore the padding.
    /// An input shadow must hold bf16(input) (the forward wrote it).
    /// </summary>
    public abstract void LinearBackward(float* dInput, float dInputBeta, float* dWeight, float* dOutput, Operand input, Operand weight,
        int rows, int inChannels, int outChannels, int weightRows);

    /// <summary>
    /// <see cref="LinearBackward"/> over chosen rows of the forward's input (the kept tokens): dInput[count, inC] =
    /// dOutput[count, outC]·weight (overwritten), dWeight += dOutputᵀ·input[rows[0..count)]. The base gathers the fp32
    /// rows into <paramref name="gatherScratch"/> ([count, inC]) and runs the plain backward (fp32: the calls the engine
    /// always made); bf16 gathers the rows of the input's shadow instead (the forward rounded them), half the bytes and no
    /// second rounding.
    /// </summary>
    public virtual void LinearBackwardGathered(float* dInput, float* dWeight, float* dOutput, Operand input, int[] rows, int count,
        Operand weight, int inChannels, int outChannels, float* gatherScratch)
    {
        RowGather.Gather(gatherScratch, input.Values, rows, count, inChannels);
        LinearBackward(dInput, 0f, dWeight, dOutput, gatherScratch, weight, count, inChannels, outChannels, count);
    }

    /// <summary>Writes row <c>j</c> of an output gradient dY (fp32, outChannels values) into <c>destination</c>.</summary>
    public delegate void GradientRowWriter(int j, float* destination);

    /// <summary>
    /// The LM head's backward from logit-gradient rows produced on demand (the cross-entropy gradient, from the forward's
    /// exp values): dInput[j] = dY_j·weight (overwritten, [rows, inC]), dWeight += Σ_j dY_jᵀ·input_j, where
    /// input_j = input + inputRows[j]·inC (row j when <paramref name="inputRows"/> is null). <paramref name="reusableRows"/>
    /// (may be null) is [rows, outC] fp32 memory the backend may overwrite, row j once <paramref name="writeRow"/> has
    /// written row j (the dense head passes its spent logits). Returns false when the backend
    /// has no such path (fp32: the model writes dY into its own buffers and calls <see cref="LinearBackward"/>, as always).
    /// A backend that takes it never stores dY whole in fp32: bf16 writes each row into a small per-worker buffer and
    /// rounds it straight into its bf16 operand.
    /// </summary>
    public virtual bool TryLinearBackwardFromRows(float* dInput, float* dWeight, Operand weight, Operand input, int[]? inputRows,
        int rows, int inChannels, int outChannels, GradientRowWriter writeRow, float* reusableRows) => false;

    public virtual void Dispose() { }
}
