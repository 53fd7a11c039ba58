namespace Eslm.Native;

/// <summary>What the user asked for: the kernel of the bf16 products (<see cref="Bf16Kernels.EnvironmentVariable"/>).</summary>
public enum Bf16KernelRequest
{
    /// <summary>By what the CPU has (<see cref="Bf16Kernels.Choose"/>).</summary>
    Auto,
    /// <summary>Always oneDNN's jit GEMM.</summary>
    Gemm,
    /// <summary>Always oneDNN's matmul primitives.</summary>
    Matmul,
}

/// <summary>
/// Picks the oneDNN kernel of each bf16 product (docs/precision.md, "Kernel choice per CPU"). The rule, not a timing at
/// start-up: a timed choice can flip between two runs of a noisy machine, and with it the bits of a bf16 run, which must
/// repeat run to run. The rule, from measurements:
/// <list type="bullet">
/// <item>AMX-BF16 (Intel Xeon 4th/5th gen): matmul primitives for every product. oneDNN's jit GEMM never uses AMX; on a
/// Xeon family 6 model 207 its bf16 GEMM ran d6's shapes at 294–629 GFLOP/s, the primitive (brg:avx512_core_amx, same
/// oneDNN 2.6.3 through PyTorch 1.13) at 560–760 (issue 24).</item>
/// <item>Without AMX (AVX512-BF16: Zen 4/5, Xeons whose hypervisor hides AMX): the jit GEMM, which beat the primitive's
/// brg:avx512_core_bf16 by 1.1–1.5× on the head's products and every beta = 1 product (Zen 5, 2026-12-02).</item>
/// </list>
/// <see cref="EnvironmentVariable"/> overrides it for every product: <c>ESLM_BF16_KERNEL=auto|gemm|matmul</c>.
/// </summary>
public static class Bf16Kernels
{
    public const string EnvironmentVariable = "ESLM_BF16_KERNEL";

    /// <summary>The request in <see cref="EnvironmentVariable"/> (unset or empty: auto); throws one sentence on a bad value.</summary>
    public static Bf16KernelRequest FromEnvironment() => Parse(Environment.GetEnvironmentVariable(EnvironmentVariable), EnvironmentVariable);

    /// <summary>Parses auto|gemm|matmul (null or empty: auto); <paramref name="source"/> names the option in the error.</summary>
    public static Bf16KernelRequest Parse(string? text, string source) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => Bf16KernelRequest.Auto,
        "gemm" => Bf16KernelRequest.Gemm,
        "matmul" => Bf16KernelRequest.Matmul,
        _ => throw new ArgumentException($"{source} must be auto, gemm or matmul (got '{text}')"),
    };

    /// <summary>
    /// The kernel of a bf16 product C[m,n] += A[m,k]·B[k,n] for <paramref name="request"/> on a CPU with or without
    /// AMX-BF16. The shape is an argument so that a per-shape rule, once measured on an AMX machine, goes here; today's
    /// measurements support one kernel per CPU kind.
    /// </summary>
    public static OneDnn.Kernel Choose(Bf16KernelRequest request, bool amxBf16, int m, int n, int k) => request switch
    {
        Bf16KernelRequest.Gemm => OneDnn.Kernel.Gemm,
        Bf16KernelRequest.Matmul => OneDnn.Kernel.Matmul,
        _ => amxBf16 ? OneDnn.Kernel.Matmul : OneDnn.Kernel.Gemm,
    };

    /// <summary>Lower-case name, as <see cref="Parse"/> reads it and bench prints it.</summary>
    public static string Name(this OneDnn.Kernel kernel) => kernel == OneDnn.Kernel.Gemm ? "gemm" : "matmul";

    public static string Name(this Bf16KernelRequest request) => request.ToString().ToLowerInvariant();
}
