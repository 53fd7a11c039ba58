using Eslm.Native;
using Eslm.Ops;
using Eslm.Tests.Model;
using Eslm.Tests.Reference;
using Xunit;

namespace Eslm.Tests.Native;

/// <summary>
/// The bf16 kernel choice (docs/precision.md, "Kernel choice per CPU"): the rule, the environment variable that
/// overrides it, and what auto picks on the CPU at hand. The AMX facts run only where oneDNN can use AMX-BF16 and skip
/// with the reason elsewhere.
/// </summary>
[Collection(SerialCollection.Name)]
public unsafe class Bf16KernelsTests
{
    private const string NoAmx = "oneDNN cannot use AMX-BF16 on this CPU (no amx_bf16, or a hypervisor that hides it): the AMX path is tested where it exists";

    [Theory]
    [InlineData(null, Bf16KernelRequest.Auto)]
    [InlineData("", Bf16KernelRequest.Auto)]
    [InlineData("auto", Bf16KernelRequest.Auto)]
    [InlineData("gemm", Bf16KernelRequest.Gemm)]
    [InlineData(" Matmul ", Bf16KernelRequest.Matmul)]
    public void The_request_parses_auto_gemm_and_matmul(string? text, Bf16KernelRequest expected) =>
        Assert.Equal(expected, Bf16Kernels.Parse(text, Bf16Kernels.EnvironmentVariable));

    [Fact]
    public void A_bad_request_is_one_sentence_naming_the_variable_and_the_choices()
    {
        var error = Assert.Throws<ArgumentException>(() => Bf16Kernels.Parse("amx", Bf16Kernels.EnvironmentVariable));
        Assert.Equal("ESLM_BF16_KERNEL must be auto, gemm or matmul (got 'amx')", error.Message);
    }

    [Theory]
    [InlineData(Bf16KernelRequest.Auto, true, OneDnn.Kernel.Matmul)]
    [InlineData(Bf16KernelRequest.Auto, false, OneDnn.Kernel.Gemm)]
    [InlineData(Bf16KernelRequest.Gemm, true, OneDnn.Kernel.Gemm)]
    [InlineData(Bf16KernelRequest.Matmul, false, OneDnn.Kernel.Matmul)]
    public void Auto_picks_matmul_primitives_with_amx_and_the_jit_gemm_without_and_a_request_overrides_both(
        Bf16KernelRequest request, bool amx, OneDnn.Kernel expected)
    {
        foreach (var (m, n, k) in new[] { (2048, 50304, 384), (50304, 384, 2048), (16, 16, 16) })
            Assert.Equal(expected, Bf16Kernels.Choose(request, amx, m, n, k));
    }

    [SkippableFact]
    public void Auto_runs_the_jit_gemm_on_a_cpu_without_amx()
    {
        Blas.Ensure();
        Skip.If(OneDnn.Bf16Unavailable is not null, OneDnn.Bf16Unavailable);
        Skip.If(OneDnn.HasAmxBf16, "this CPU has AMX-BF16 (see the AMX facts)");
        using var gemm = new Bf16Gemm(Bf16KernelRequest.Auto);
        Assert.Equal(OneDnn.Kernel.Gemm, gemm.KernelFor(2048, 1152, 384));
    }

    [SkippableFact]
    public void Auto_runs_matmul_primitives_on_a_cpu_with_amx()
    {
        Blas.Ensure();
        Skip.If(OneDnn.Bf16Unavailable is not null, OneDnn.Bf16Unavailable);
        Skip.IfNot(OneDnn.HasAmxBf16, NoAmx);
        using var gemm = new Bf16Gemm(Bf16KernelRequest.Auto);
        Assert.Equal(OneDnn.Kernel.Matmul, gemm.KernelFor(2048, 1152, 384));
    }

    /// <summary>oneDNN 2.6 names its AMX brgemm matmul "brg:avx512_core_amx" (ONEDNN_VERBOSE=1 shows the same name).</summary>
    [SkippableFact]
    public void On_a_cpu_with_amx_the_matmul_primitive_runs_on_amx_kernels_with_packed_weights()
    {
        Blas.Ensure();
        Skip.If(OneDnn.Bf16Unavailable is not null, OneDnn.Bf16Unavailable);
        Skip.IfNot(OneDnn.HasAmxBf16, NoAmx);
        var product = OneDnnMatmul.Get(new(OneDnn.DataType.Bf16, false, true, 256, 384, 384, 384, 384, 384, 1f, 0f, PackedB: true));
        Assert.Contains("amx", product.Implementation);
        Assert.True(product.PackedBytes > 0, "AMX reads the weights in a blocked layout");
    }

    [SkippableFact]
    public void The_environment_variable_sets_a_new_backends_kernel_and_a_bad_value_stops_it()
    {
        Blas.Ensure();
        Skip.If(OneDnn.Bf16Unavailable is not null, OneDnn.Bf16Unavailable);
        string? before = Environment.GetEnvironmentVariable(Bf16Kernels.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(Bf16Kernels.EnvironmentVariable, "matmul");
            using (var gemm = new Bf16Gemm()) Assert.Equal(OneDnn.Kernel.Matmul, gemm.KernelFor(64, 64, 64));
            Environment.SetEnvironmentVariable(Bf16Kernels.EnvironmentVariable, "gemm");
            using (var gemm = new Bf16Gemm()) Assert.Equal(OneDnn.Kernel.Gemm, gemm.KernelFor(64, 64, 64));
            Environment.SetEnvironmentVariable(Bf16Kernels.EnvironmentVariable, "fast");
            Assert.Throws<ArgumentException>(() => new Bf16Gemm());
        }
        finally { Environment.SetEnvironmentVariable(Bf16Kernels.EnvironmentVariable, before); }
    }
}
