namespace Eslm.Tensors;

/// <summary>
/// The bf16 copy of a whole <see cref="TensorBlock"/> (its bf16 mirror), laid out like it: the weights a bf16 model's
/// products read. The block owns it (<see cref="TensorBlock.KeepBf16Mirror"/>). It is current while it holds
/// bf16(the block's values) for the block's <see cref="TensorBlock.Version"/>: the optimizer writes it in the pass that
/// writes the new weights (one pass over the parameters instead of two) and says so with <see cref="MarkCurrent"/>;
/// any other change to the block is caught by the version and rounded again by <see cref="Refresh"/>.
/// </summary>
public sealed unsafe class Bf16Mirror : IDisposable
{
    private readonly Bf16Block _copy;
    private long _version = -1; // the block version the copy holds

    internal Bf16Mirror(TensorBlock source)
    {
        Source = source;
        _copy = new Bf16Block(source.Specs);
    }

    /// <summary>The fp32 block this mirrors.</summary>
    public TensorBlock Source { get; }

    /// <summary>Whether the copy holds bf16 of the block's current values.</summary>
    public bool IsCurrent => _version == Source.Version;

    /// <summary>Tensor <paramref name="index"/>'s bf16 copy (the same position as in <see cref="Source"/>).</summary>
    public ushort* Pointer(int index) => _copy.Pointer(index);

    /// <summary>Tensor <paramref name="name"/>'s bf16 copy.</summary>
    public ushort* Pointer(string name) => _copy.Pointer(name);

    /// <summary>Rounds the block into the copy unless it is current. Call before products read the copy.</summary>
    public void Refresh()
    {
        if (IsCurrent) return;
        for (int t = 0; t < Source.Specs.Count; t++)
        {
            long n = Source.Specs[t].Count;
            Bf16.FromFloat(Source.Pointer(t), n, _copy.Pointer(t), 1, checked((int)n));
        }
        _version = Source.Version;
    }

    /// <summary>The caller has written bf16(the current value) of every tensor into the copy (the optimizer's fused pass).</summary>
    public void MarkCurrent() => _version = Source.Version;

    public void Dispose() => _copy.Dispose();
}
