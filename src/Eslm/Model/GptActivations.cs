using Eslm.Ops;
using Eslm.Tensors;

namespace Eslm.Model;

/// <summary>
/// Typed pointers into the activation block (<see cref="ActivationLayout.For"/>; the layout's names stay its keys),
/// resolved once per allocation so the forward and backward never look a name up. Per-layer tensors are the bases of
/// their [L, …] stacks; <see cref="LayerActivations"/> offsets them to one layer.
/// </summary>
internal readonly unsafe struct ActivationPointers
{
    public readonly float* Encoded, Lnf, LnfMean, LnfRstd, Logits, RowSum, Losses, Entropy;
    public readonly float* Ln1, Ln1Mean, Ln1Rstd, Qkv, Atty, Att, Residual2, Ln2, Ln2Mean, Ln2Rstd, Fch, FchGelu, Residual3;

    public ActivationPointers(TensorBlock a)
    {
        Encoded = a.Pointer("encoded");
        Ln1 = a.Pointer("ln1"); Ln1Mean = a.Pointer("ln1_mean"); Ln1Rstd = a.Pointer("ln1_rstd");
        Qkv = a.Pointer("qkv"); Atty = a.Pointer("atty"); Att = a.Pointer("att");
        Residual2 = a.Pointer("residual2");
        Ln2 = a.Pointer("ln2"); Ln2Mean = a.Pointer("ln2_mean"); Ln2Rstd = a.Pointer("ln2_rstd");
        Fch = a.Pointer("fch"); FchGelu = a.Pointer("fch_gelu");
        Residual3 = a.Pointer("residual3");
        Lnf = a.Pointer("lnf"); LnfMean = a.Pointer("lnf_mean"); LnfRstd = a.Pointer("lnf_rstd");
        Logits = a.Pointer("logits"); RowSum = a.Pointer("row_sum"); Losses = a.Pointer("losses"); Entropy = a.Pointer("entropy");
    }
}

/// <summary>
/// Typed pointers into the bf16 shadow block (<see cref="ActivationLayout.Bf16ShadowsFor"/>), resolved once per
/// allocation; all null when the model keeps no shadows or the last forward did not write them.
/// </summary>
internal readonly unsafe struct ShadowPointers
{
    public readonly ushort* Ln1, Atty, Ln2, FchGelu, Lnf;

    public ShadowPointers(Bf16Block s)
    {
        Ln1 = s.Pointer("ln1"); Atty = s.Pointer("atty"); Ln2 = s.Pointer("ln2"); FchGelu = s.Pointer("fch_gelu"); Lnf = s.Pointer("lnf");
    }
}

/// <summary>Named pointers to one layer's activations; layer strides use the allocated capacity.</summary>
internal readonly unsafe struct LayerActivations
{
    public readonly float* Ln1, Ln1Mean, Ln1Rstd, Qkv, Atty, Att, Residual2, Ln2, Ln2Mean, Ln2Rstd, Fch, FchGelu, Residual3;
    private readonly ushort* _ln1, _atty, _ln2, _fchGelu; // bf16 shadows (null: none)

    /// <summary>The inputs of the layer's four products (ln1, atty, ln2, fch_gelu) with their bf16 shadows.</summary>
    public Operand QkvInput => new(Ln1, _ln1);
    public Operand AttProjInput => new(Atty, _atty);
    public Operand FcInput => new(Ln2, _ln2);
    public Operand FcProjInput => new(FchGelu, _fchGelu);

    public LayerActivations(in ActivationPointers a, in ShadowPointers s, int layer, int capacityB, int capacityT, int C, int NH)
    {
        long l = layer, bt = (long)capacityB * capacityT, c = C, T = capacityT;
        if (s.Ln1 != null)
        {
            _ln1 = s.Ln1 + l * bt * c; _atty = s.Atty + l * bt * c; _ln2 = s.Ln2 + l * bt * c; _fchGelu = s.FchGelu + l * bt * 4 * c;
        }
        Ln1 = a.Ln1 + l * bt * c; Ln1Mean = a.Ln1Mean + l * bt; Ln1Rstd = a.Ln1Rstd + l * bt;
        Qkv = a.Qkv + l * bt * 3 * c; Atty = a.Atty + l * bt * c;
        Att = a.Att + l * capacityB * NH * T * T;
        Residual2 = a.Residual2 + l * bt * c;
        Ln2 = a.Ln2 + l * bt * c; Ln2Mean = a.Ln2Mean + l * bt; Ln2Rstd = a.Ln2Rstd + l * bt;
        Fch = a.Fch + l * bt * 4 * c; FchGelu = a.FchGelu + l * bt * 4 * c;
        Residual3 = a.Residual3 + l * bt * c;
    }
}

/// <summary>
/// Typed pointers into the backward scratch block (<see cref="ActivationLayout.GradientScratchFor"/>), resolved once per
/// allocation. The per-op gradients hold one layer at a time, reused from the last layer to the first.
/// </summary>
internal readonly unsafe struct ScratchPointers
{
    /// <summary>Residual-stream gradient, then per-op gradients [B·T, width] (compact rows in the kept-rows paths).</summary>
    public readonly float* DResidual, DLn, DQkv, DAtty, DFch;
    /// <summary>LM-head chunk buffers: gathered logit gradients and lnf rows of the kept rows.</summary>
    public readonly float* HeadDLogits, HeadLnf;
    /// <summary>One GEMM operand's kept rows, gathered (kept-rows backward).</summary>
    public readonly float* Gather;
    private readonly int _dResidualCount, _dQkvCount;

    public ScratchPointers(TensorBlock s)
    {
        DResidual = s.Pointer("dresidual"); DLn = s.Pointer("dln"); DQkv = s.Pointer("dqkv"); DAtty = s.Pointer("datty"); DFch = s.Pointer("dfch");
        HeadDLogits = s.Pointer("head_dlogits"); HeadLnf = s.Pointer("head_lnf");
        Gather = s.Pointer("gather");
        _dResidualCount = s.Span("dresidual").Length; _dQkvCount = s.Span("dqkv").Length;
    }

    /// <summary>The whole dresidual buffer (the capacity's rows).</summary>
    public Span<float> DResidualSpan => new(DResidual, _dResidualCount);
    /// <summary>The whole dqkv buffer (the capacity's rows).</summary>
    public Span<float> DQkvSpan => new(DQkv, _dQkvCount);
}
