using Eslm.Ops;
using Eslm.Tensors;

namespace Eslm.Model;

/// <summary>
/// Named pointers to one layer's slice of a parameter-shaped block (parameters or gradients), with the matrices' bf16
/// copies in the block's <see cref="Bf16Mirror"/> when it keeps one (resolved when the struct is made).
/// </summary>
public readonly unsafe struct LayerTensors
{
    public readonly float* Ln1W, Ln1B, QkvW, QkvB, AttProjW, AttProjB, Ln2W, Ln2B, FcW, FcB, FcProjW, FcProjB;
    private readonly ushort* _qkvW, _attProjW, _fcW, _fcProjW; // bf16 mirror slices (null without a mirror)
    private readonly Bf16Mirror? _mirror;

    /// <summary>The linear layers' weights as product operands (fp32 values, bf16 mirror slice and the mirror).</summary>
    public Operand QkvWeight => new(QkvW, _qkvW, _mirror);
    public Operand AttProjWeight => new(AttProjW, _attProjW, _mirror);
    public Operand FcWeight => new(FcW, _fcW, _mirror);
    public Operand FcProjWeight => new(FcProjW, _fcProjW, _mirror);

    public LayerTensors(TensorBlock block, int layer, int C)
    {
        long l = layer, c = C;
        _mirror = block.Bf16Mirror;
        if (block.Bf16Mirror is { } m)
        {
            _qkvW = m.Pointer(ParameterLayout.QkvW) + l * 3 * c * c; _attProjW = m.Pointer(ParameterLayout.AttProjW) + l * c * c;
            _fcW = m.Pointer(ParameterLayout.FcW) + l * 4 * c * c; _fcProjW = m.Pointer(ParameterLayout.FcProjW) + l * 4 * c * c;
        }
        Ln1W = block.Pointer(ParameterLayout.Ln1W) + l * c; Ln1B = block.Pointer(ParameterLayout.Ln1B) + l * c;
        QkvW = block.Pointer(ParameterLayout.QkvW) + l * 3 * c * c; QkvB = block.Pointer(ParameterLayout.QkvB) + l * 3 * c;
        AttProjW = block.Pointer(ParameterLayout.AttProjW) + l * c * c; AttProjB = block.Pointer(ParameterLayout.AttProjB) + l * c;
        Ln2W = block.Pointer(ParameterLayout.Ln2W) + l * c; Ln2B = block.Pointer(ParameterLayout.Ln2B) + l * c;
        FcW = block.Pointer(ParameterLayout.FcW) + l * 4 * c * c; FcB = block.Pointer(ParameterLayout.FcB) + l * 4 * c;
        FcProjW = block.Pointer(ParameterLayout.FcProjW) + l * 4 * c * c; FcProjB = block.Pointer(ParameterLayout.FcProjB) + l * c;
    }
}

/// <summary>
/// Forward activations kept for the backward, for a batch of B sequences of T tokens (per-layer tensors stacked by L).
/// No separate attention/MLP projection outputs: those GEMMs accumulate straight into the residual stream.
/// </summary>
public static class ActivationLayout
{
    public static IReadOnlyList<TensorSpec> For(GptConfig cfg, int B, int T)
    {
        int L = cfg.L, C = cfg.C, NH = cfg.NH, BT = B * T;
        return
        [
            new("encoded", BT, C),
            new("ln1", L, BT, C), new("ln1_mean", L, BT), new("ln1_rstd", L, BT),
            new("qkv", L, BT, 3 * C), new("atty", L, BT, C), new("att", L, B, NH, T, T),
            new("residual2", L, BT, C),
            new("ln2", L, BT, C), new("ln2_mean", L, BT), new("ln2_rstd", L, BT),
            new("fch", L, BT, 4 * C), new("fch_gelu", L, BT, 4 * C),
            new("residual3", L, BT, C),
            new("lnf", BT, C), new("lnf_mean", BT), new("lnf_rstd", BT),
            new("logits", BT, cfg.Vp), new("row_sum", BT), new("losses", BT), new("entropy", BT),
        ];
    }

    /// <summary>
    /// bf16 shadows of the activations the products read (the linear layers' and the head's inputs), kept by bf16 models:
    /// the forward's product rounds its input into the shadow and the backward's dW product reads it back. Same names
    /// and shapes as in <see cref="For"/>.
    /// </summary>
    public static IReadOnlyList<TensorSpec> Bf16ShadowsFor(GptConfig cfg, int B, int T)
    {
        int L = cfg.L, C = cfg.C, BT = B * T;
        return [new("ln1", L, BT, C), new("atty", L, BT, C), new("ln2", L, BT, C), new("fch_gelu", L, BT, 4 * C), new("lnf", BT, C)];
    }

    /// <summary>Rows of the compact LM-head buffers: a chunk, rounded up to a multiple of 32 (zero padding rows).</summary>
    private static int HeadRows(int BT, int headChunkRows) => Math.Min((BT + 31) / 32 * 32, headChunkRows);

    /// <summary>Backward scratch: one layer's worth, reused from the last layer to the first.</summary>
    public static IReadOnlyList<TensorSpec> GradientScratchFor(GptConfig cfg, int B, int T, int headChunkRows)
    {
        int C = cfg.C, BT = B * T;
        return
        [
            new("dresidual", BT, C), new("dln", BT, C), new("dqkv", BT, 3 * C), new("datty", BT, C), new("dfch", BT, 4 * C),
            new("head_dlogits", HeadRows(BT, headChunkRows), cfg.Vp), new("head_lnf", HeadRows(BT, headChunkRows), C),
            // Kept-rows backward: one GEMM operand gathered at a time (widest: the MLP's 4C).
            new("gather", BT, 4 * C),
        ];
    }
}
