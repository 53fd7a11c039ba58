using System.Runtime.InteropServices;

namespace Eslm.Tensors;

/// <summary>
/// The bf16 copy of a whole <see cref="TensorBlock"/> (its bf16 mirror), laid out like it: the weights a bf16 model's
/// products read. The block owns it (<see cref="TensorBlock.KeepBf16Mirror"/>). It is current while it holds
/// bf16(the block's values) for the block's <see cref="TensorBlock.Version"/>: the optimizer writes it in the pass that
/// writes the new weights (one pass over the parameters instead of two) and says so with <see cref="MarkCurrent"/>;
/// any other change to the block is caught by the version and rounded again by <see cref="Refresh"/>.
/// <para>It also keeps the weights in the layouts a product kernel prefers (<see cref="Packed"/>: oneDNN matmul
/// primitives' blocked weights on AMX), re-laid from the copy once per version, i.e. once per optimizer step.</para>
/// </summary>
public sealed unsafe class Bf16Mirror : IDisposable
{
    private readonly Bf16Block _copy;
    private long _version = -1; // the block version the copy holds
    private readonly Dictionary<(long Offset, int Layout), PackedCopy> _packs = new();

    /// <summary>Writes plain bf16 values (<paramref name="plain"/>) into a kernel's layout (<paramref name="packed"/>).</summary>
    public delegate void PackWriter(void* plain, void* packed);

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

    /// <summary>Bytes held by <see cref="Packed"/> copies.</summary>
    public long PackedBytes => _packs.Values.Sum(p => p.Bytes);

    /// <summary>
    /// The matrix at <paramref name="slice"/> (a pointer into this copy) in a kernel's layout number
    /// <paramref name="layout"/> (<paramref name="bytes"/> long), written by <paramref name="pack"/> from the copy when the
    /// version changed since it was last written. The copy must be current (<see cref="Refresh"/>).
    /// </summary>
    public void* Packed(ushort* slice, int layout, long bytes, PackWriter pack)
    {
        if (!IsCurrent) throw new InvalidOperationException("the bf16 mirror is stale: Refresh it before products read it");
        long offset = slice - _copy.Data;
        if (offset < 0 || offset >= _copy.Count) throw new ArgumentOutOfRangeException(nameof(slice), "the slice is not inside this bf16 mirror");
        if (!_packs.TryGetValue((offset, layout), out var copy) || copy.Bytes != bytes)
        {
            copy?.Dispose();
            copy = new PackedCopy(bytes);
            _packs[(offset, layout)] = copy;
        }
        if (copy.Version != _version)
        {
            pack(slice, copy.Data);
            copy.Version = _version;
        }
        return copy.Data;
    }

    public void Dispose()
    {
        foreach (var p in _packs.Values) p.Dispose();
        _packs.Clear();
        _copy.Dispose();
    }

    private sealed class PackedCopy(long bytes) : IDisposable
    {
        public long Bytes { get; } = bytes;
        public void* Data { get; private set; } = NativeMemory.AlignedAlloc((nuint)Math.Max(1, bytes), 64);
        public long Version { get; set; } = -1;

        public void Dispose()
        {
            if (Data != null) NativeMemory.AlignedFree(Data);
            Data = null;
        }
    }
}
