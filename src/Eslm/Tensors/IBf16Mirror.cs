
namespace Eslm.Tensors;

/// <summary>
/// bf16 copies of parameter tensors kept by a GEMM backend (the bf16 backend keeps one of its whole parameter block and
/// would otherwise round each weight matrix once per optimizer step, at its first use). The optimizer writes them while it writes the new fp32 values, so the backend need not read every
/// weight again to round it: one pass over the parameters instead of two (GPT-2 124M: ~500 MB less to read per step).
/// </summary>
public unsafe interface IBf16Mirror
{
    /// <summary>The bf16 copy of the tensor [<paramref name="tensor"/>, + count), or null when none is kept.</summary>
    ushort* MirrorOf(float* tensor, long count);

    /// <summary>Every copy returned by <see cref="MirrorOf"/> since the last call now holds bf16(the current values) of <paramref name="parameters"/>.</summary>
    void MirrorsWritten(TensorBlock parameters);
}
