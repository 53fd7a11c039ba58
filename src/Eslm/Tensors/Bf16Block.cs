using System.Runtime.InteropServices;

namespace Eslm.Tensors;

/// <summary>
/// One 64-byte aligned native allocation of bf16 values (raw <c>ushort</c> bit patterns, see <see cref="Bf16"/>) carved
/// into named tensors by an explicit ordered list of specs, like <see cref="TensorBlock"/>: the bf16 shadows of fp32
/// tensors that a bf16 product reads (the parameter mirror, the activations the backward's products read again).
/// </summary>
public sealed unsafe class Bf16Block : IDisposable
{
    private readonly BlockLayout _layout;
    private ushort* _data;

    public Bf16Block(IReadOnlyList<TensorSpec> specs)
    {
        _layout = new BlockLayout(specs);
        Specs = specs;
        Count = _layout.Count;
        _data = (ushort*)NativeMemory.AlignedAlloc((nuint)(Math.Max(1, Count) * sizeof(ushort)), 64);
    }

    public IReadOnlyList<TensorSpec> Specs { get; }

    /// <summary>Total number of bf16 values.</summary>
    public long Count { get; }

    public ushort* Data => _data != null ? _data : throw new ObjectDisposedException(nameof(Bf16Block));

    public ushort* Pointer(int index) => Data + _layout.OffsetOf(index);

    public ushort* Pointer(string name) => Pointer(_layout.IndexOf(name));

    public void Dispose()
    {
        if (_data != null) NativeMemory.AlignedFree(_data);
        _data = null;
    }
}
