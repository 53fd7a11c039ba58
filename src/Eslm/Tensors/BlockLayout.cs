namespace Eslm.Tensors;

/// <summary>
/// Where each tensor of an explicit ordered list of specs starts in one flat allocation (never by declaration order):
/// the carving that <see cref="TensorBlock"/> (fp32) and <see cref="Bf16Block"/> (bf16 shadows) share.
/// </summary>
public sealed class BlockLayout
{
    private readonly Dictionary<string, int> _index = new();
    private readonly long[] _offsets;

    public BlockLayout(IReadOnlyList<TensorSpec> specs)
    {
        Specs = specs;
        _offsets = new long[specs.Count];
        long offset = 0;
        for (int i = 0; i < specs.Count; i++)
        {
            if (!_index.TryAdd(specs[i].Name, i)) throw new ArgumentException($"duplicate tensor name '{specs[i].Name}'");
            _offsets[i] = offset;
            offset += specs[i].Count;
        }
        Count = offset;
    }

    public IReadOnlyList<TensorSpec> Specs { get; }

    /// <summary>Total number of elements.</summary>
    public long Count { get; }

    public long OffsetOf(int index) => _offsets[index];

    public int IndexOf(string name) =>
        _index.TryGetValue(name, out int i) ? i : throw new KeyNotFoundException($"no tensor named '{name}'");

    public bool Contains(string name) => _index.ContainsKey(name);
}
