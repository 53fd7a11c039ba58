namespace Eslm.Selection;

/// <summary>
/// Per-token statistics of one micro-batch (or one scope of it), [B·T] each, in row order b·T + t. Training fills them
/// from the student's forward and from every auxiliary model a strategy asked for (<see cref="AuxiliaryNeeds"/>);
/// selectors only read them. Statistics nobody asked for are empty spans.
/// </summary>
public readonly ref struct TokenStats
{
    /// <summary>The student's cross-entropy per token (nats).</summary>
    public ReadOnlySpan<float> Loss { get; init; }

    /// <summary>Entropy of the student's predicted distribution per token (nats).</summary>
    public ReadOnlySpan<float> Entropy { get; init; }

    /// <summary>A reference model's loss per token (Rho-1), online or from a sidecar of `eslm score`.</summary>
    public ReadOnlySpan<float> ReferenceLoss { get; init; }

    /// <summary>A teacher's loss per token (ESLM-KD).</summary>
    public ReadOnlySpan<float> TeacherLoss { get; init; }

    /// <summary>Entropy of the teacher's predicted distribution per token (ESLM-KD).</summary>
    public ReadOnlySpan<float> TeacherEntropy { get; init; }

    /// <summary>KL(teacher ‖ student) per token at temperature 1 (ESLM-KD, only when asked for).</summary>
    public ReadOnlySpan<float> TeacherKl { get; init; }

    /// <summary>Tokens per sequence (T): token i is position i mod T of sequence i / T.</summary>
    public int SequenceLength { get; init; }

    public int Count => Loss.Length;
}
