using System.Runtime.InteropServices;

namespace Eslm.Tensors;

/// <summary>
/// One 64-byte aligned native allocation carved into named tensors by an explicit ordered list of specs
/// (never by declaration order). The same list defines checkpoint layouts and parameter listings.
/// Native memory never moves, so raw pointers into it stay valid for the block's lifetime.
/// </summary>
public sealed unsafe class TensorBlock : IDisposable
{
    private readonly BlockLayout _layout;
    private float* _data;

    public TensorBlock(IReadOnlyList<TensorSpec> specs)
    {
        _layout = new BlockLayout(specs);
        Specs = specs;
        Count = _layout.Count;
        _data = (float*)NativeMemory.AlignedAlloc((nuint)(Math.Max(1, Count) * sizeof(float)), 64);
        Clear();
    }

    public IReadOnlyList<TensorSpec> Specs { get; }

    /// <summary>
    /// Bumped whenever the contents may have changed, so derived copies (the <see cref="Bf16Mirror"/>) know when
    /// to refresh. The span accessors and <see cref="Clear"/> bump it; code that writes through raw
    /// pointers (the optimizer) calls <see cref="MarkModified"/> itself.
    /// </summary>
    public long Version { get; private set; }

    public void MarkModified() => Version++;

    private long _zeroAtVersion = -1;

    /// <summary>
    /// The block holds only zeros: nothing may have written it since <see cref="Clear"/> or <see cref="MarkCleared"/>
    /// (any later <see cref="Version"/> bump ends it). Lets a caller skip clearing a block that is already clear.
    /// </summary>
    public bool IsKnownZero => _zeroAtVersion == Version;

    /// <summary>Records that the caller has written zeros over every tensor of the block through raw pointers.</summary>
    public void MarkCleared() => _zeroAtVersion = ++Version;

    /// <summary>Total number of floats.</summary>
    public long Count { get; }

    public float* Data => _data != null ? _data : throw new ObjectDisposedException(nameof(TensorBlock));

    public float* Pointer(string name) => Data + _layout.OffsetOf(IndexOf(name));

    public float* Pointer(int index) => Data + _layout.OffsetOf(index);

    public long OffsetOf(int index) => _layout.OffsetOf(index);

    public int IndexOf(string name) => _layout.IndexOf(name);

    public bool Contains(string name) => _layout.Contains(name);

    public Span<float> Span(string name) => Span(IndexOf(name));

    public Span<float> Span(int index)
    {
        Version++;
        return new(Pointer(index), checked((int)Specs[index].Count));
    }

    /// <summary>The whole block as one span (blocks are far below 2^31 floats in practice; checked).</summary>
    public Span<float> All
    {
        get
        {
            Version++;
            return new(Data, checked((int)Count));
        }
    }

    public void Clear()
    {
        NativeMemory.Clear(Data, (nuint)(Count * sizeof(float)));
        MarkCleared();
    }

    /// <summary>The block's bf16 mirror, kept while bf16 products read it (null otherwise; see <see cref="KeepBf16Mirror"/>).</summary>
    public Bf16Mirror? Bf16Mirror { get; private set; }

    /// <summary>Gives the block a bf16 mirror (allocated once, not yet current) and returns it.</summary>
    public Bf16Mirror KeepBf16Mirror() => Bf16Mirror ??= new Bf16Mirror(this);

    /// <summary>Frees the bf16 mirror (the model went back to fp32 products).</summary>
    public void DropBf16Mirror()
    {
        Bf16Mirror?.Dispose();
        Bf16Mirror = null;
    }

    public void Dispose()
    {
        DropBf16Mirror();
        if (_data != null) NativeMemory.AlignedFree(_data);
        _data = null;
    }
}
