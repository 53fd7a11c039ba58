using Eslm.Cli.Commands;
using Eslm.Diagnostics;
using Eslm.Native;
using Eslm.Tensors;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>
/// `bench --json` (issue 24, item 4): the fields other tools read stay as they were, and the theoretical ISA peak MFU is
/// read against is stated beside the measured ceilings.
/// </summary>
public class BenchJsonTests
{
    private static readonly IsaPeak Xeon = new("Xeon (family 6 model 207)", 2, 2.0, "AVX-512 FMA, two pipes", 64, "AMX-BF16", 1024);

    private static BenchmarkResult Result(Precision precision) => new()
    {
        Model = "d6", Batch = 8, Seq = 256, Strategy = "clm", Steps = 3, MedianMs = 1000, MinMs = 990, MeanMs = 1001,
        GflopsPerS = 256, GemmCeilingGflops = 300, Mfu = 0.5, Fp32EquivalentMfu = 0.85, Precision = precision,
        Bf16CeilingGflops = precision == Precision.Bf16 ? 600 : double.NaN,
        BlasCore = "SkylakeX", Cpu = "test CPU", IsaPeak = Xeon,
        IsaMfu = 256 / (precision == Precision.Bf16 ? Xeon.Bf16Gflops : Xeon.Fp32Gflops),
        Bf16Kernel = precision == Precision.Bf16 ? "matmul (auto: AMX-BF16)" : null,
    };

    [Fact]
    public void The_existing_fields_are_kept()
    {
        var o = BenchCommand.ToJson(Result(Precision.Bf16));
        foreach (string key in new[] { "model", "batch", "seq", "strategy", "steps", "median_ms", "min_ms", "mean_ms", "tokens_per_s",
                     "flops_per_step", "gflops_per_s", "flops_basis", "gemm_ceiling_gflops", "mfu", "precision",
                     "bf16_gemm_ceiling_gflops", "fp32_equivalent_mfu", "blas_core", "threads", "peak_rss_mb", "cpu", "step_ms" })
            Assert.True(o.ContainsKey(key), $"bench --json lost '{key}'");
        Assert.Equal(0.5, (double)o["mfu"]!, 1e-12);
        Assert.Equal(600, (double)o["bf16_gemm_ceiling_gflops"]!, 1e-12);
    }

    [Fact]
    public void A_bf16_run_states_the_isa_peaks_the_bf16_one_it_is_read_against_and_its_kernel()
    {
        var o = BenchCommand.ToJson(Result(Precision.Bf16));
        Assert.Equal(256.0, (double)o["isa_peak_fp32_gflops"]!, 1e-9);   // 2 cores × 2 GHz × 64
        Assert.Equal(4096.0, (double)o["isa_peak_bf16_gflops"]!, 1e-9);  // 2 cores × 2 GHz × 1,024 (AMX)
        Assert.Equal("2 cores × 2.00 GHz × 1024 FLOP/cycle (AMX-BF16) = 4096 GFLOP/s", (string)o["isa_peak"]!);
        Assert.Equal(0.0625, (double)o["isa_mfu"]!, 1e-9);
        Assert.Equal("matmul (auto: AMX-BF16)", (string)o["bf16_kernel"]!);
    }

    [Fact]
    public void An_fp32_run_is_read_against_the_fp32_fma_peak()
    {
        var o = BenchCommand.ToJson(Result(Precision.Fp32));
        Assert.Equal("2 cores × 2.00 GHz × 64 FLOP/cycle (AVX-512 FMA, two pipes) = 256 GFLOP/s", (string)o["isa_peak"]!);
        Assert.Equal(1.0, (double)o["isa_mfu"]!, 1e-9);
        Assert.False(o.ContainsKey("bf16_kernel"));
    }

    [Fact]
    public void Without_cpuinfo_the_isa_fields_are_null()
    {
        var o = BenchCommand.ToJson(Result(Precision.Fp32) with { IsaPeak = null, IsaMfu = double.NaN });
        Assert.Null(o["isa_peak_fp32_gflops"]);
        Assert.Null(o["isa_peak"]);
        Assert.Null(o["isa_mfu"]);
    }
}
