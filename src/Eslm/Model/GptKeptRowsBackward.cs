using Eslm.Ops;
using Eslm.Tensors;
using static Eslm.Model.ParameterLayout;

namespace Eslm.Model;

/// <summary>
/// The backward over kept rows only, in a compact row order (row j = kept token <c>_keptRows[j]</c>). Each GEMM's saved
/// operand is gathered into compact form just before the GEMM, and GELU and LayerNorm read the saved rows in place, so the
/// ops are the dense ones on fewer rows.
/// <para>Exact: only the last block's MLP, attention projection and queries are row-wise in the kept tokens; the keys and
/// values of every position get gradient (kept queries attend to them), so from the last block's qkv down the backward is
/// dense. <see cref="BackwardMode.KeptRows"/>: dropped tokens' keys and values are constants, so every layer stays compact.</para>
/// </summary>
public sealed unsafe partial class Gpt
{
    private void KeptRowsBackward(int kept, bool allLayers)
    {
        var cfg = Config;
        int L = cfg.L, C = cfg.C, NH = cfg.NH;
        var a = _acts!; var s = _scratch!; var p = Parameters; var g = Gradients;
        int[] rows = _keptRows;
        // Compact buffers: the residual-stream gradient and per-op gradients, kept rows only.
        float* dResidual = s.Pointer("dresidual"), dLn = s.Pointer("dln");
        float* dQkv = s.Pointer("dqkv"), dAtty = s.Pointer("datty"), dFch = s.Pointer("dfch");
        float* gathered = s.Pointer("gather");

        void Gather(float* source, int width, int sourceStride = 0)
        {
            using (Timer.Measure("gather.bwd")) RowGather.Gather(gathered, source, rows, kept, width, sourceStride);
        }

        // dLn holds the kept rows' dLnf (HeadBackward, compact). The residual gradient starts at zero.
        using (Timer.Measure("layernorm.bwd"))
            LayerNorm.Backward(dResidual, g.Pointer(LnfW), g.Pointer(LnfB), dLn, Layer(L - 1).Residual3, p.Pointer(LnfW),
                a.Pointer("lnf_mean"), a.Pointer("lnf_rstd"), kept, C, rows);

        for (int l = L - 1; l >= 0; l--)
        {
            var w = new LayerTensors(p, l, C);
            var dw = new LayerTensors(g, l, C);
            var x = Layer(l);
            float* residual = l == 0 ? a.Pointer("encoded") : Layer(l - 1).Residual3;

            Gather(x.FchGelu, 4 * C);
            using (Timer.Measure("matmul.bwd")) MatMul.Backward(dFch, dw.FcProjW, dw.FcProjB, dResidual, gathered, w.FcProjW, kept, 4 * C, C, overwriteInput: true);
            using (Timer.Measure("gelu.bwd"))
                Parallelism.For(kept, 16, (start, end) =>
                {
                    for (int j = start; j < end; j++)
                        Gelu.Backward(dFch + (long)j * 4 * C, x.Fch + (long)rows[j] * 4 * C, dFch + (long)j * 4 * C, 4 * C, overwrite: true);
                });
            Gather(x.Ln2, C);
            using (Timer.Measure("matmul.bwd")) MatMul.Backward(dLn, dw.FcW, dw.FcB, dFch, gathered, w.FcW, kept, C, 4 * C, overwriteInput: true);
            using (Timer.Measure("layernorm.bwd"))
                LayerNorm.Backward(dResidual, dw.Ln2W, dw.Ln2B, dLn, x.Residual2, w.Ln2W, x.Ln2Mean, x.Ln2Rstd, kept, C, rows);

            Gather(x.Atty, C);
            using (Timer.Measure("matmul.bwd")) MatMul.Backward(dAtty, dw.AttProjW, dw.AttProjB, dResidual, gathered, w.AttProjW, kept, C, C, overwriteInput: true);
            Gather(x.Qkv, C, sourceStride: 3 * C); // the kept queries (keys and values are read in place)
            if (!allLayers)
            {
                // Exact: every position's key and value gets gradient; dQ is staged compactly in the free dfch buffer.
                using (Timer.Measure("attention.bwd"))
                {
                    s.Span("dqkv").Clear();
                    Attention.BackwardKeptQueries(dFch, dQkv, dAtty, gathered, x.Qkv, x.Att, B, T, C, NH, rows, _sequenceKeptStart);
                }
                using (Timer.Measure("gather.bwd")) ScatterRowsInPlace(dResidual, kept, C);
                DenseBackward(l, fromQkv: true);
                return;
            }
            using (Timer.Measure("attention.bwd"))
                Attention.BackwardKeptQueries(dQkv, null, dAtty, gathered, x.Qkv, x.Att, B, T, C, NH, rows, _sequenceKeptStart);
            Gather(x.Ln1, C);
            using (Timer.Measure("matmul.bwd")) MatMul.Backward(dLn, dw.QkvW, dw.QkvB, dQkv, gathered, w.QkvW, kept, C, 3 * C, overwriteInput: true);
            using (Timer.Measure("layernorm.bwd"))
                LayerNorm.Backward(dResidual, dw.Ln1W, dw.Ln1B, dLn, residual, w.Ln1W, x.Ln1Mean, x.Ln1Rstd, kept, C, rows);
        }
        using (Timer.Measure("encoder.bwd"))
            Encoder.BackwardRows(g.Pointer(Wte), g.Pointer(Wpe), dResidual, _inputs, rows, kept, T, C);
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
