namespace Eslm.Ops;

/// <summary>
/// A matrix operand of a linear product: its fp32 values and, where its owner keeps one, its bf16 shadow (null: none).
/// The owner states what the shadow holds, and a bf16 backend reads or writes it instead of rounding into scratch:
/// a weight's shadow is its parameter block's <see cref="Tensors.Bf16Mirror"/>, current whenever the product runs;
/// an activation's shadow (the model's activation layout) is written by the forward product that reads the activation,
/// and the backward's dW product of the same layer reads it back. fp32 products read <see cref="Values"/> only.
/// </summary>
public readonly unsafe struct Operand
{
    public readonly float* Values;
    public readonly ushort* Bf16;

    /// <summary>
    /// A weight's: the mirror that <see cref="Bf16"/> points into, which also keeps the weight in the layouts product
    /// kernels prefer (<see cref="Tensors.Bf16Mirror.Packed"/>); null for activations and weights without one.
    /// </summary>
    public readonly Tensors.Bf16Mirror? Mirror;

    /// <summary>
    /// The shadow already holds bf16(<see cref="Values"/>): the op that produced the values wrote their rounding in the
    /// same pass (LayerNorm, GELU), so a forward product reads it instead of rounding the values again.
    /// </summary>
    public readonly bool Bf16Written;

    public Operand(float* values, ushort* bf16 = null, Tensors.Bf16Mirror? mirror = null)
    {
        Values = values;
        Bf16 = bf16;
        Mirror = bf16 == null ? null : mirror;
    }

    private Operand(float* values, ushort* bf16, Tensors.Bf16Mirror? mirror, bool bf16Written) : this(values, bf16, mirror) =>
        Bf16Written = bf16 != null && bf16Written;

    /// <summary>This operand, stating that its producer has written bf16(values) into the shadow (see <see cref="Bf16Written"/>).</summary>
    public Operand WithBf16Written() => new(Values, Bf16, Mirror, true);

    /// <summary>An operand with no bf16 shadow (a bf16 product rounds it into scratch).</summary>
    public static implicit operator Operand(float* values) => new(values);

    /// <summary>The operand from element <paramref name="offset"/> on (a row range's first row), shadow included.</summary>
    public Operand At(long offset) => new(Values + offset, Bf16 == null ? null : Bf16 + offset, Mirror, Bf16Written);
}
