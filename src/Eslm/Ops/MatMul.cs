using System.Numerics.Tensors;
using Eslm.Tensors;

namespace Eslm.Ops;

/// <summary>
/// Linear layer: out[N,OC] = input[N,C] · weightᵀ + bias, weight stored [OC,C] (PyTorch nn.Linear / llm.c). The products
/// run on a <see cref="GemmBackend"/> (fp32 OpenBLAS when none is given; the model passes its own, which may be bf16);
/// input and weight are <see cref="Operand"/>s, so an owner's bf16 shadows travel with them (a plain pointer has none).
/// </summary>
public static unsafe class MatMul
{
    /// <summary>
    /// Forward. With <paramref name="accumulate"/>, adds into the existing output instead of overwriting it: the
    /// residual stream uses this to fuse "x + proj(y)" into the GEMM (beta = 1) with no separate buffer or pass.
    /// With <paramref name="residual"/> ([rows, OC], not aliasing the output) the output is residual + bias + input·Wᵀ:
    /// the residual add that starts a new residual-stream buffer, written in the pass that writes the bias (the same
    /// float additions as copying the residual and accumulating, one pass over the rows fewer).
    /// </summary>
    public static void Forward(float* output, Operand input, Operand weight, float* bias, int rows, int inChannels, int outChannels,
        bool accumulate = false, GemmBackend? gemm = null, float* residual = null)
    {
        int OC = outChannels;
        if (residual != null && accumulate) throw new ArgumentException("a product adds onto its residual or onto its output, not both");
        if (bias != null || residual != null)
        {
            Parallelism.For(rows, 32, (start, end) =>
            {
                for (int r = start; r < end; r++)
                {
                    var o = new Span<float>(output + (long)r * OC, OC);
                    var b = new ReadOnlySpan<float>(bias, OC);
                    if (residual != null)
                    {
                        var x = new ReadOnlySpan<float>(residual + (long)r * OC, OC);
                        if (bias != null) TensorPrimitives.Add(x, b, o); else x.CopyTo(o);
                    }
                    else if (accumulate) TensorPrimitives.Add(o, b, o);
                    else b.CopyTo(o);
                }
            });
        }
        float beta = accumulate || bias != null || residual != null ? 1f : 0f;
        (gemm ?? GemmBackend.Fp32).LinearForward(output, input, weight, rows, inChannels, OC, beta);
    }

    /// <summary>
    /// Backward, accumulating (the caller zeroes): dInput += dOut·W, dWeight += dOutᵀ·input, dBias += Σ_rows dOut.
    /// dInput may be null when the input needs no gradient.
    /// With <paramref name="overwriteInput"/>, dInput is written rather than accumulated (scratch needs no zeroing pass).
    /// </summary>
    public static void Backward(float* dInput, float* dWeight, float* dBias, float* dOutput, Operand input, Operand weight,
        int rows, int inChannels, int outChannels, bool overwriteInput = false, GemmBackend? gemm = null)
    {
        int C = inChannels, OC = outChannels;
        if (rows == 0) return;
        (gemm ?? GemmBackend.Fp32).LinearBackward(dInput, overwriteInput ? 0f : 1f, dWeight, dOutput, input, weight, rows, C, OC, rows);
        if (dBias != null) ColumnSums(dBias, dOutput, rows, OC);
    }

    /// <summary>
    /// Backward over chosen rows of the forward's input (compact kept rows): dInput[count, inC] is overwritten,
    /// dWeight += dOutᵀ·input[rows], dBias += Σ dOut. The backend gathers the input rows (see
    /// <see cref="GemmBackend.LinearBackwardGathered"/>); <paramref name="gatherScratch"/> holds [count, inC] floats.
    /// </summary>
    public static void BackwardGathered(float* dInput, float* dWeight, float* dBias, float* dOutput, Operand input, int[] rows, int count,
        Operand weight, int inChannels, int outChannels, GemmBackend gemm, float* gatherScratch)
    {
        if (count == 0) return;
        gemm.LinearBackwardGathered(dInput, dWeight, dOutput, input, rows, count, weight, inChannels, outChannels, gatherScratch);
        if (dBias != null) ColumnSums(dBias, dOutput, count, outChannels);
    }

    /// <summary>sums[c] += Σ_r matrix[r,c]; each worker owns a column slice (deterministic for any thread count).</summary>
    public static void ColumnSums(float* sums, float* matrix, int rows, int columns)
    {
        Parallelism.For(columns, 64, (c0, c1) =>
        {
            var slice = new Span<float>(sums + c0, c1 - c0);
            for (int r = 0; r < rows; r++) TensorPrimitives.Add(slice, new ReadOnlySpan<float>(matrix + (long)r * columns + c0, c1 - c0), slice);
        });
    }
}
