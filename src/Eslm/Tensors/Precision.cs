namespace Eslm.Tensors;

/// <summary>
/// Operand precision of the matrix products of the linear layers, the LM head and (training forward and backward)
/// attention (docs/precision.md). Everything else (master weights, gradients, AdamW, LayerNorm, GELU, softmax,
/// cross-entropy, selection, the KV-cache sampler's attention) is fp32 in both.
/// </summary>
public enum Precision
{
    /// <summary>fp32 operands through OpenBLAS SGEMM (the reference; bit-for-bit the historical engine).</summary>
    Fp32,
    /// <summary>bf16 operands, fp32 accumulation and outputs, through oneDNN (needs libdnnl2 and AVX512-BF16).</summary>
    Bf16,
}

public static class PrecisionNames
{
    /// <summary>The spelling used by <c>--precision</c>, run.json and state.json: "fp32" or "bf16".</summary>
    public static string Name(this Precision precision) => precision == Precision.Bf16 ? "bf16" : "fp32";

    /// <summary>Parses "fp32" or "bf16" (case-insensitive); anything else is an <see cref="ArgumentException"/>.</summary>
    public static Precision Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "fp32" => Precision.Fp32,
        "bf16" => Precision.Bf16,
        _ => throw new ArgumentException($"--precision must be fp32 or bf16 (got '{text}')"),
    };
}
