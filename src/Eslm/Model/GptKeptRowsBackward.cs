using Eslm.Ops;
using Eslm.Tensors;
using static Eslm.Model.ParameterLayout;

namespace Eslm.Model;

/// <summary>
/// The backward over kept rows only, in a compact row order (row j = kept token <c>_keptRows[j]</c>). Each GEMM's saved
/// operand is gathered into compact form by the GEMM backend just before the GEMM (bf16 gathers its rounded copy), and
/// GELU and LayerNorm read the saved rows in place, so the ops are the dense ones on fewer rows.
/// <para>Exact: only the last block's MLP, attention projection and queries are row-wise in the kept tokens; the keys and
/// values of every position get gradient (kept queries attend to them), so from the last block's qkv down the backward is
/// dense (<see cref="ExactBackwardWithCompactTop"/>). <see cref="BackwardMode.KeptRows"/>: dropped tokens' keys and values
/// are constants, so every layer stays compact (<see cref="KeptRowsBackward"/>).</para>
/// </summary>
public sealed unsafe partial class Gpt
{
    /// <summary>Some rows dropped, <see cref="BackwardMode.Exact"/>: the last block's top over kept rows, then dense from its qkv.</summary>
    private void ExactBackwardWithCompactTop(int kept)
    {
        int L = Config.L, C = Config.C, NH = Config.NH;
        var x = Layer(L - 1);
        CompactFinalNormBackward(kept);
        CompactBlockUpperBackward(L - 1, kept);
        // Every position's key and value gets gradient; dQ is staged compactly in the free dfch buffer.
        using (Timer.Measure("attention.bwd"))
        {
            _s.DQkvSpan.Clear();
            Attention.BackwardKeptQueries(_s.DFch, _s.DQkv, _s.DAtty, _s.Gather, x.Qkv, x.Att, B, T, C, NH, _keptRows, _sequenceKeptStart);
        }
        using (Timer.Measure("gather.bwd")) ScatterRowsInPlace(_s.DResidual, kept, C);
        DenseBlockLowerBackward(L - 1);
        DenseLayersBackward(L - 2);
    }

    /// <summary>Some rows dropped, <see cref="BackwardMode.KeptRows"/>: every layer and the embeddings over kept rows only.</summary>
    private void KeptRowsBackward(int kept)
    {
        int L = Config.L, C = Config.C, NH = Config.NH;
        int[] rows = _keptRows;
        float* dResidual = _s.DResidual, dLn = _s.DLn, dQkv = _s.DQkv, gathered = _s.Gather;
        CompactFinalNormBackward(kept);
        for (int l = L - 1; l >= 0; l--)
        {
            var w = _weights[l]; var dw = _weightGradients[l]; var x = Layer(l);
            CompactBlockUpperBackward(l, kept);
            // Dropped tokens' keys and values are constants: only the kept queries get gradient.
            using (Timer.Measure("attention.bwd"))
                Attention.BackwardKeptQueries(dQkv, null, _s.DAtty, gathered, x.Qkv, x.Att, B, T, C, NH, rows, _sequenceKeptStart);
            using (Timer.Measure("matmul.bwd")) MatMul.BackwardGathered(dLn, dw.QkvW, dw.QkvB, dQkv, x.Ln1, rows, kept, w.QkvW, C, 3 * C, _gemm, gathered);
            using (Timer.Measure("layernorm.bwd"))
                LayerNorm.Backward(dResidual, dw.Ln1W, dw.Ln1B, dLn, LayerInput(l), w.Ln1W, x.Ln1Mean, x.Ln1Rstd, kept, C, rows);
        }
        using (Timer.Measure("encoder.bwd"))
            Encoder.BackwardRows(Gradients.Pointer(Wte), Gradients.Pointer(Wpe), dResidual, _inputs, rows, kept, T, C);
    }

    /// <summary>Final LayerNorm over the kept rows: dLn holds their dLnf (compact); dResidual starts at zero.</summary>
    private void CompactFinalNormBackward(int kept)
    {
        int C = Config.C;
        using (Timer.Measure("layernorm.bwd"))
            LayerNorm.Backward(_s.DResidual, Gradients.Pointer(LnfW), Gradients.Pointer(LnfB), _s.DLn, Layer(Config.L - 1).Residual3,
                Parameters.Pointer(LnfW), _a.LnfMean, _a.LnfRstd, kept, C, _keptRows);
    }

    /// <summary>
    /// Layer <paramref name="l"/>'s MLP and attention projection over the kept rows (compact dResidual → compact dResidual
    /// at residual2 and dAtty), ending with the kept queries gathered for the attention backward.
    /// </summary>
    private void CompactBlockUpperBackward(int l, int kept)
    {
        int C = Config.C;
        int[] rows = _keptRows;
        var w = _weights[l]; var dw = _weightGradients[l]; var x = Layer(l);
        float* dResidual = _s.DResidual, dLn = _s.DLn, dAtty = _s.DAtty, dFch = _s.DFch, gathered = _s.Gather;

        using (Timer.Measure("matmul.bwd")) MatMul.BackwardGathered(dFch, dw.FcProjW, dw.FcProjB, dResidual, x.FchGelu, rows, kept, w.FcProjW, 4 * C, C, _gemm, gathered);
        using (Timer.Measure("gelu.bwd"))
            Parallelism.For(kept, 16, (start, end) =>
            {
                for (int j = start; j < end; j++)
                    Gelu.Backward(dFch + (long)j * 4 * C, x.Fch + (long)rows[j] * 4 * C, dFch + (long)j * 4 * C, 4 * C, overwrite: true);
            });
        using (Timer.Measure("matmul.bwd")) MatMul.BackwardGathered(dLn, dw.FcW, dw.FcB, dFch, x.Ln2, rows, kept, w.FcW, C, 4 * C, _gemm, gathered);
        using (Timer.Measure("layernorm.bwd"))
            LayerNorm.Backward(dResidual, dw.Ln2W, dw.Ln2B, dLn, x.Residual2, w.Ln2W, x.Ln2Mean, x.Ln2Rstd, kept, C, rows);

        using (Timer.Measure("matmul.bwd")) MatMul.BackwardGathered(dAtty, dw.AttProjW, dw.AttProjB, dResidual, x.Atty, rows, kept, w.AttProjW, C, C, _gemm, gathered);
        GatherRows(x.Qkv, C, kept, sourceStride: 3 * C); // the kept queries (keys and values are read in place)
    }

    /// <summary>The kept rows of <paramref name="source"/> (each <paramref name="width"/> wide) into the gather buffer.</summary>
    private void GatherRows(float* source, int width, int kept, int sourceStride = 0)
    {
        using (Timer.Measure("gather.bwd")) RowGather.Gather(_s.Gather, source, _keptRows, kept, width, sourceStride);
    }

    /// <summary>
    /// Turns compact rows [0, kept) of a B·T-row buffer into full rows in place: row j moves to <c>_keptRows[j]</c> and the
    /// dropped rows become zero. Rows only move down (<c>_keptRows[j] ≥ j</c>), so going from the last row up is safe.
    /// </summary>
    private void ScatterRowsInPlace(float* buffer, int kept, int width)
    {
        long bytes = (long)width * sizeof(float);
        int next = B * T; // rows at and above this index are final
        for (int j = kept - 1; j >= 0; j--)
        {
            int r = _keptRows[j];
            new Span<float>(buffer + (long)(r + 1) * width, (next - r - 1) * width).Clear();
            if (r != j) Buffer.MemoryCopy(buffer + (long)j * width, buffer + (long)r * width, bytes, bytes);
            next = r;
        }
        new Span<float>(buffer, next * width).Clear();
    }
}
