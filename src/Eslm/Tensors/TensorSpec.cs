namespace Eslm.Tensors;

/// <summary>A named tensor shape in a <see cref="TensorBlock"/>: the element count is the product of the dimensions.</summary>
public sealed record TensorSpec(string Name, params int[] Shape)
{
    /// <summary>
    /// Whether the optimizer applies weight decay to this tensor. The model's parameter layout sets it (matrices yes,
    /// vectors no), so the optimizer reads a flag instead of knowing the model's tensor names.
    /// </summary>
    public bool Decay { get; init; }

    public long Count
    {
        get { long n = 1; foreach (int d in Shape) n *= d; return n; }
    }

    public int Rank => Shape.Length;

    public override string ToString() => $"{Name} [{string.Join(", ", Shape)}]";
}
