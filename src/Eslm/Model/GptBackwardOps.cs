using Eslm.Ops;
using Eslm.Tensors;
using static Eslm.Model.ParameterLayout;

namespace Eslm.Model;

/// <summary>
/// The backward's row-wise ops over a <see cref="RowSet"/>: in place over the plan's ranges, or compact over its kept
/// rows (saved activations read at <c>KeptRows[j]</c>: GELU and LayerNorm in place, each GEMM's saved operand gathered
/// by the GEMM backend). Each op is one measure of the <see cref="Timer"/> under its profile name, however many row
/// ranges it covers. Gradient arguments follow the ops' contract: parameter gradients accumulate, dInput of a linear
/// layer is overwritten (it is layer scratch), dInput of a LayerNorm accumulates (the residual stream).
/// </summary>
public sealed unsafe partial class Gpt
{
    /// <summary>Linear layer backward: dInput ← dOutput·W (overwritten), dW += dOutputᵀ·input, dB += Σ dOutput.</summary>
    private void LinearBackward(RowSet rows, float* dInput, float* dWeight, float* dBias, float* dOutput, Operand input, Operand weight,
        int inC, int outC)
    {
        using var _ = Timer.Measure("matmul.bwd");
        if (rows == RowSet.Kept)
        {
            MatMul.BackwardGathered(dInput, dWeight, dBias, dOutput, input, _rows.KeptRows, _rows.Kept, weight, inC, outC, _gemm, _s.Gather);
            return;
        }
        foreach (var (r0, n) in _rows.Ranges)
            MatMul.Backward(dInput + (long)r0 * inC, dWeight, dBias, dOutput + (long)r0 * outC, input.At((long)r0 * inC), weight, n, inC, outC,
                overwriteInput: true, gemm: _gemm);
    }

    /// <summary>GELU backward in place on <paramref name="dFch"/> (rows of <paramref name="width"/>): dFch ← gelu'(fch)·dFch.</summary>
    private void GeluBackward(RowSet rows, float* dFch, float* fch, int width)
    {
        using var _ = Timer.Measure("gelu.bwd");
        if (rows == RowSet.Kept)
        {
            int[] kept = _rows.KeptRows;
            Parallelism.For(_rows.Kept, 16, (start, end) =>
            {
                for (int j = start; j < end; j++)
                    Gelu.Backward(dFch + (long)j * width, fch + (long)kept[j] * width, dFch + (long)j * width, width, overwrite: true);
            });
            return;
        }
        foreach (var (r0, n) in _rows.Ranges)
            Gelu.Backward(dFch + (long)r0 * width, fch + (long)r0 * width, dFch + (long)r0 * width, (long)n * width, overwrite: true);
    }

    /// <summary>LayerNorm backward: dInput += ∂/∂input, dWeight and dBias accumulate; rows are C wide.</summary>
    private void LayerNormBackward(RowSet rows, float* dInput, float* dWeight, float* dBias, float* dOutput, float* input, float* weight,
        float* mean, float* rstd)
    {
        int C = Config.C;
        using var _ = Timer.Measure("layernorm.bwd");
        if (rows == RowSet.Kept)
        {
            LayerNorm.Backward(dInput, dWeight, dBias, dOutput, input, weight, mean, rstd, _rows.Kept, C, _rows.KeptRows);
            return;
        }
        foreach (var (r0, n) in _rows.Ranges)
            LayerNorm.Backward(dInput + (long)r0 * C, dWeight, dBias, dOutput + (long)r0 * C, input + (long)r0 * C, weight,
                mean + r0, rstd + r0, n, C);
    }

    /// <summary>Token and position embeddings: dWte and dWpe accumulate dResidual (the gradient at layer 0's input).</summary>
    private void EncoderBackward(RowSet rows)
    {
        using var _ = Timer.Measure("encoder.bwd");
        float* dWte = Gradients.Pointer(Wte), dWpe = Gradients.Pointer(Wpe);
        if (rows == RowSet.Kept) Encoder.BackwardRows(dWte, dWpe, _s.DResidual, _inputs, _rows.KeptRows, _rows.Kept, T, Config.C);
        else Encoder.Backward(dWte, dWpe, _s.DResidual, _inputs, B, T, Config.C, _rows.ActiveLength);
    }
}
