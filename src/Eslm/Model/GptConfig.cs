namespace Eslm.Model;

/// <summary>
/// Shape of a GPT-2-style model. Legend (docs/architecture.md): L layers, NH heads, C channels, T context length,
/// V vocabulary, Vp vocabulary padded for fast GEMMs (logits for ids ≥ V never count).
/// </summary>
public sealed record GptConfig
{
    public int Layers { get; init; }
    public int Heads { get; init; }
    public int Channels { get; init; }
    public int MaxSequenceLength { get; init; }
    public int VocabSize { get; init; } = 50257;
    /// <summary>0 = round <see cref="VocabSize"/> up to a multiple of 128 (50257 → 50304).</summary>
    public int PaddedVocabSize { get; init; }

    public int L => Layers;
    public int NH => Heads;
    public int C => Channels;
    public int Vp => PaddedVocabSize > 0 ? PaddedVocabSize : (VocabSize + 127) / 128 * 128;

    /// <summary>Parameters counted the usual way: both embeddings, unpadded vocabulary.</summary>
    public long ParameterCount =>
        (long)VocabSize * C + (long)MaxSequenceLength * C + (long)L * (12L * C * C + 13L * C) + 2L * C;

    /// <summary>Training FLOPs per step, nanoGPT/llm.c convention: 6·N·B·T + 12·L·C·T·(B·T).</summary>
    public double TrainingFlops(int batchSize, int sequenceLength) =>
        6.0 * ParameterCount * batchSize * sequenceLength + 12.0 * L * C * sequenceLength * ((double)batchSize * sequenceLength);

    /// <summary>Throws <see cref="ArgumentException"/> with a clear message when the shape is invalid.</summary>
    public GptConfig Validated()
    {
        if (Layers < 1) throw new ArgumentException($"layers must be >= 1 (got {Layers})");
        if (Heads < 1) throw new ArgumentException($"heads must be >= 1 (got {Heads})");
        if (Channels < 1) throw new ArgumentException($"channels must be >= 1 (got {Channels})");
        if (Channels % Heads != 0) throw new ArgumentException($"channels ({Channels}) must be divisible by heads ({Heads})");
        if (MaxSequenceLength < 1) throw new ArgumentException($"context length must be >= 1 (got {MaxSequenceLength})");
        if (VocabSize < 2) throw new ArgumentException($"vocabulary size must be >= 2 (got {VocabSize})");
        if (PaddedVocabSize != 0 && PaddedVocabSize < VocabSize)
            throw new ArgumentException($"padded vocabulary ({PaddedVocabSize}) is smaller than the vocabulary ({VocabSize})");
        // Parameters (and gradients, moments) are indexed as one span of floats: the padded total must stay below 2^31.
        // Computed in 128 bits so that absurd dimensions (--vocab 2147483647) cannot wrap around.
        Int128 vp = PaddedVocabSize > 0 ? PaddedVocabSize : ((Int128)VocabSize + 127) / 128 * 128, c = Channels;
        Int128 total = (vp + MaxSequenceLength) * c + (Int128)Layers * (12 * c * c + 13 * c) + 2 * c;
        if (total > int.MaxValue)
            throw new ArgumentException($"model L{Layers} NH{Heads} C{Channels} T{MaxSequenceLength} V{VocabSize} has {total} parameters, more than " +
                                        $"Eslm's limit of {int.MaxValue}: reduce --vocab, --channels, --layers or --context");
        return this;
    }

    public static IReadOnlyDictionary<string, GptConfig> Presets { get; } = new Dictionary<string, GptConfig>(StringComparer.OrdinalIgnoreCase)
    {
        ["tiny"] = new() { Layers = 2, Heads = 2, Channels = 64, MaxSequenceLength = 64 },
        ["d2"] = new() { Layers = 2, Heads = 4, Channels = 128, MaxSequenceLength = 128 },
        ["d4"] = new() { Layers = 4, Heads = 4, Channels = 256, MaxSequenceLength = 256 },
        ["d6"] = new() { Layers = 6, Heads = 6, Channels = 384, MaxSequenceLength = 256 },
        ["d12"] = new() { Layers = 12, Heads = 12, Channels = 768, MaxSequenceLength = 1024 },
        ["gpt2"] = new() { Layers = 12, Heads = 12, Channels = 768, MaxSequenceLength = 1024 },
        ["gpt2-medium"] = new() { Layers = 24, Heads = 16, Channels = 1024, MaxSequenceLength = 1024 },
    };

    public static GptConfig FromPreset(string name) =>
        Presets.TryGetValue(name, out var c) ? c
            : throw new ArgumentException($"unknown model preset '{name}' (known: {string.Join(", ", Presets.Keys)})");

    public override string ToString() =>
        $"L{L} NH{NH} C{C} T{MaxSequenceLength} V{VocabSize} (Vp {Vp}), {ParameterCount / 1e6:F2}M parameters";
}
