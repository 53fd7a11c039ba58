using Eslm.Ops;
using Eslm.Tensors;
using static Eslm.Model.ParameterLayout;

namespace Eslm.Model;

public sealed unsafe partial class Gpt
{
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
        float* dWte = Gradients.Pointer(Wte);
        Operand wte = HeadWeight, input = HeadInput;
        int* targets = _targets;
        var rowGradient = RowGradient;
        int[]? keptRows = kept == BT ? null : _rows.KeptRows;
        // Precisions with their own path (bf16) take the logit gradients row by row and never store them whole in fp32.
        if (_gemm.TryLinearBackwardFromRows(dLnf, dWte, wte, input, keptRows, kept, C, Vp, (j, destination) =>
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
            _gemm.LinearBackward(dLnf, 0f, dWte, logits, input, wte, BT, C, Vp, BT);
            return;
        }
        float* dlogits = _s.HeadDLogits, lnfRows = _s.HeadLnf;
        int[] rows = _rows.KeptRows;
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
}
