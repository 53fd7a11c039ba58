using Eslm.Tensors;

namespace Eslm.Ops;

/// <summary>
/// The one place the matrix products of the linear layers and the LM head pick their precision. Both products of a
/// linear map y = x·Wᵀ (W stored [outC, inC], row-major, like nn.Linear) go through here: the forward and the backward
/// pair dX = dY·W, dW += dYᵀ·X. <see cref="For"/> returns OpenBLAS SGEMM for fp32 (exactly the calls the engine always
/// made, so fp32 stays bit-for-bit) or oneDNN bf16 for bf16. Attention's batched products stay fp32 in OpenBLAS
/// (docs/precision.md says why).
/// </summary>
public abstract unsafe class GemmBackend : IDisposable
{
    /// <summary>The shared fp32 backend (stateless).</summary>
    public static GemmBackend Fp32 { get; } = new Fp32Gemm();

    /// <summary>
    /// The backend for <paramref name="precision"/>. A bf16 backend caches bf16 copies of the matrices that live in
    /// <paramref name="parameters"/> and refreshes one when <see cref="TensorBlock.Version"/> moved (once per optimizer step).
    /// Throws <see cref="NotSupportedException"/> (one sentence: what is missing, and to use fp32) when bf16 cannot run here.
    /// </summary>
    public static GemmBackend For(Precision precision, TensorBlock? parameters) => precision switch
    {
        Precision.Fp32 => Fp32,
        Precision.Bf16 => new Bf16Gemm(parameters),
        _ => throw new ArgumentOutOfRangeException(nameof(precision)),
    };

    public abstract Precision Precision { get; }

    /// <summary>output[rows,outC] = input[rows,inC] · weightᵀ + beta · output.</summary>
    public abstract void LinearForward(float* output, float* input, float* weight, int rows, int inChannels, int outChannels, float beta);

    /// <summary>
    /// dInput[rows,inC] = dOutput[rows,outC] · weight + dInputBeta · dInput (skipped when dInput is null), then
    /// dWeight[outC,inC] += dOutput[0..weightRows)ᵀ · input[0..weightRows). <paramref name="weightRows"/> ≥ rows lets a
    /// caller pad with zero rows (the fp32 head does, to keep SGEMM's k a multiple of 32); a backend may ignore the padding.
    /// </summary>
    public abstract void LinearBackward(float* dInput, float dInputBeta, float* dWeight, float* dOutput, float* input, float* weight,
        int rows, int inChannels, int outChannels, int weightRows);

    public virtual void Dispose() { }
}
