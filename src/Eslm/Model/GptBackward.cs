using Eslm.Ops;
using Eslm.Tensors;
using static Eslm.Model.ParameterLayout;

namespace Eslm.Model;

/// <summary>
/// The backward: the forward read in reverse (head, final LayerNorm, blocks L−1 … 0, embeddings), one block backward
/// over a row plan (<see cref="RowPlan"/>). With every token weighted the rows are all rows, in place. Otherwise the
/// head's dLnf holds the kept rows only, compact, and the ops run over those rows (gathering the saved activations they
/// read) until the attention backward: dropped positions' keys and values still get gradient from the kept queries in
/// <see cref="BackwardMode.Exact"/>, so from the last block's qkv down the rows are each sequence's active prefix, in
/// place; <see cref="BackwardMode.KeptRows"/> holds dropped keys and values constant and stays compact to the embeddings.
/// </summary>
public sealed unsafe partial class Gpt
{
    /// <summary>
    /// Backward of Σ_i dLosses[i]·loss_i for the last forward, accumulated into <see cref="Gradients"/>.
    /// Plain training passes 1/M for every token. Zero weights are skipped: the LM-head backward and the last block's MLP,
    /// attention projection and queries run over the weighted rows only, and each sequence's backward stops at its last
    /// weighted position. With <see cref="BackwardMode.KeptRows"/> every layer runs over the weighted rows only.
    /// Must follow the forward it differentiates (the forward's logits are consumed).
    /// </summary>
    public void Backward(ReadOnlySpan<float> dLosses)
    {
        if (_acts is null) throw new InvalidOperationException("backward needs a forward first");
        if (LastForwardLayers != Config.L) throw new InvalidOperationException("backward needs a full-depth forward (the last one was an early-exit proxy)");
        int BT = B * T, L = Config.L;
        if (dLosses.Length != BT) throw new ArgumentException($"expected {BT} token weights, got {dLosses.Length}");

        Parameters.Bf16Mirror?.Refresh(); // a no-op unless the weights changed since the forward
        Gradients.MarkModified(); // written through raw pointers below
        _rows.Plan(dLosses, B, T);
        _s.DResidualSpan.Clear();
        if (_rows.Kept == 0) return;

        // dLn ← dLnf: every row in place, or (some tokens dropped) the kept rows only, compact in kept order.
        fixed (float* dLossPtr = dLosses)
        {
            using (Timer.Measure("head.bwd")) HeadBackward(dLossPtr, _rows.Kept, _s.DLn);
        }
        var rows = _rows.AllKept ? RowSet.Ranges : RowSet.Kept;
        LayerNormBackward(rows, _s.DResidual, Gradients.Pointer(LnfW), Gradients.Pointer(LnfB), _s.DLn,
            Layer(L - 1).Residual3, Parameters.Pointer(LnfW), _a.LnfMean, _a.LnfRstd);
        for (int l = L - 1; l >= 0; l--) rows = BlockBackward(l, rows);
        EncoderBackward(rows);
    }

    /// <summary>
    /// Layer <paramref name="l"/>'s block in reverse, from dResidual (the gradient at its output, over
    /// <paramref name="rows"/>) to dResidual at its input. Returns the row set the layers below run over.
    /// </summary>
    private RowSet BlockBackward(int l, RowSet rows)
    {
        int C = Config.C;
        var w = _weights[l]; var dw = _weightGradients[l]; var x = Layer(l);
        float* dResidual = _s.DResidual, dLn = _s.DLn, dAtty = _s.DAtty, dFch = _s.DFch;

        // residual3 = residual2 + fcproj(gelu(fc(ln2(residual2)))): dResidual flows through unchanged.
        LinearBackward(rows, dFch, dw.FcProjW, dw.FcProjB, dResidual, x.FcProjInput, w.FcProjWeight, 4 * C, C);
        GeluBackward(rows, dFch, x.Fch, 4 * C);
        LinearBackward(rows, dLn, dw.FcW, dw.FcB, dFch, x.FcInput, w.FcWeight, C, 4 * C);
        LayerNormBackward(rows, dResidual, dw.Ln2W, dw.Ln2B, dLn, x.Residual2, w.Ln2W, x.Ln2Mean, x.Ln2Rstd);

        // residual2 = residual + attproj(attention(qkv(ln1(residual)))).
        LinearBackward(rows, dAtty, dw.AttProjW, dw.AttProjB, dResidual, x.AttProjInput, w.AttProjWeight, C, C);
        rows = AttentionBackward(x, rows);
        LinearBackward(rows, dLn, dw.QkvW, dw.QkvB, _s.DQkv, x.QkvInput, w.QkvWeight, C, 3 * C);
        LayerNormBackward(rows, dResidual, dw.Ln1W, dw.Ln1B, dLn, LayerInput(l), w.Ln1W, x.Ln1Mean, x.Ln1Rstd);
        return rows;
    }

    /// <summary>
    /// dAtty → dQkv. In place: every active query, key and value. Compact: the kept queries (gathered first); in
    /// <see cref="BackwardMode.Exact"/> also every position's key and value (dQ staged compactly in the free dfch buffer),
    /// after which dQkv and dResidual are in place again (the return value says which).
    /// </summary>
    private RowSet AttentionBackward(LayerActivations x, RowSet rows)
    {
        int C = Config.C, NH = Config.NH;
        bool compact = rows == RowSet.Kept;
        bool keysAndValues = !compact || BackwardMode == BackwardMode.Exact; // kept-rows: dropped keys and values are constants
        int[] kept = _rows.KeptRows;
        if (compact)
            using (Timer.Measure("gather.bwd")) RowGather.Gather(_s.Gather, x.Qkv, kept, _rows.Kept, C, 3 * C); // keys and values are read in place
        using (Timer.Measure("attention.bwd"))
        {
            if (keysAndValues) _s.DQkvSpan.Clear();
            if (!compact) Attention.Backward(_s.DQkv, _s.DAtty, x.Qkv, x.Att, B, T, C, NH, _rows.ActiveLength, _gemm.Precision);
            else Attention.BackwardKeptQueries(keysAndValues ? _s.DFch : _s.DQkv, keysAndValues ? _s.DQkv : null, _s.DAtty, _s.Gather,
                x.Qkv, x.Att, B, T, C, NH, kept, _rows.SequenceKeptStart, _gemm.Precision);
        }
        if (!compact || !keysAndValues) return rows;
        using (Timer.Measure("gather.bwd")) ScatterRowsInPlace(_s.DResidual, _rows.Kept, C);
        return RowSet.Ranges;
    }

    /// <summary>
    /// Turns compact rows [0, kept) of a B·T-row buffer into full rows in place: row j moves to <c>KeptRows[j]</c> and the
    /// dropped rows become zero. Rows only move down (<c>KeptRows[j] ≥ j</c>), so going from the last row up is safe.
    /// </summary>
    private void ScatterRowsInPlace(float* buffer, int kept, int width)
    {
        long bytes = (long)width * sizeof(float);
        int next = B * T; // rows at and above this index are final
        for (int j = kept - 1; j >= 0; j--)
        {
            int r = _rows.KeptRows[j];
            new Span<float>(buffer + (long)(r + 1) * width, (next - r - 1) * width).Clear();
            if (r != j) Buffer.MemoryCopy(buffer + (long)j * width, buffer + (long)r * width, bytes, bytes);
            next = r;
        }
        new Span<float>(buffer, next * width).Clear();
    }
}
