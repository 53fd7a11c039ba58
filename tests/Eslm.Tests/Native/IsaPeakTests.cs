using Eslm.Native;
using Xunit;

namespace Eslm.Tests.Native;

/// <summary>The ISA peak from /proc/cpuinfo text of the CPUs this project has run on (issue 24).</summary>
public class IsaPeakTests
{
    private static string CpuInfo(string vendor, int family, int model, double mhz, string flags) =>
        $"processor\t: 0\nvendor_id\t: {vendor}\ncpu family\t: {family}\nmodel\t\t: {model}\nmodel name\t: Test CPU\n" +
        $"cpu MHz\t\t: {mhz.ToString(System.Globalization.CultureInfo.InvariantCulture)}\nflags\t\t: fpu {flags}\n\nprocessor\t: 1\nflags\t\t: other\n";

    [Fact]
    public void An_intel_xeon_with_amx_peaks_at_1024_bf16_flop_per_cycle_and_64_fp32()
    {
        var p = IsaPeak.FromCpuInfo(CpuInfo("GenuineIntel", 6, 207, 2300, "fma avx512f avx512_bf16 amx_bf16 amx_tile"), 2)!;
        Assert.Equal(64, p.Fp32FlopPerCycle);
        Assert.Equal("AMX-BF16", p.Bf16Isa);
        Assert.Equal(2 * 2.3 * 1024, p.Bf16Gflops, 1e-9);
        Assert.Equal(2 * 2.3 * 64, p.Fp32Gflops, 1e-9);
        Assert.Contains("family 6 model 207", p.Cpu);
        Assert.Null(p.Bf16SlowerThanFp32Warning);
    }

    [Fact]
    public void The_same_xeon_without_amx_exposed_uses_avx512_bf16_at_twice_the_fp32_rate()
    {
        var p = IsaPeak.FromCpuInfo(CpuInfo("GenuineIntel", 6, 207, 2300, "fma avx512f avx512_bf16"), 2)!;
        Assert.Equal(128, p.Bf16FlopPerCycle);
        Assert.Contains("--precision fp32 is faster here", p.Bf16SlowerThanFp32Warning); // measured 1.4–1.6× slower there
    }

    [Theory]
    [InlineData(25, 32, 64)]  // Zen 4: AVX-512 on 256-bit pipes
    [InlineData(26, 64, 128)] // Zen 5: full-width AVX-512
    public void Zen_generations_differ_in_avx512_width(int family, double fp32, double bf16)
    {
        var p = IsaPeak.FromCpuInfo(CpuInfo("AuthenticAMD", family, 17, 3000, "fma avx512f avx512_bf16"), 2)!;
        Assert.Equal((fp32, bf16), (p.Fp32FlopPerCycle, p.Bf16FlopPerCycle));
        Assert.Null(p.Bf16SlowerThanFp32Warning); // bf16 is the faster precision on Zen
    }

    [Fact]
    public void Without_bf16_arithmetic_the_bf16_peak_is_not_a_number_and_bad_text_gives_null()
    {
        var p = IsaPeak.FromCpuInfo(CpuInfo("GenuineIntel", 6, 85, 2000, "fma avx2"), 4)!;
        Assert.Equal(32, p.Fp32FlopPerCycle);
        Assert.True(double.IsNaN(p.Bf16Gflops));
        Assert.Null(IsaPeak.FromCpuInfo("flags : fma\n", 2)); // no clock
        Assert.Null(IsaPeak.FromCpuInfo(CpuInfo("GenuineIntel", 6, 85, 0, "fma"), 2));
    }

    [Fact]
    public void The_description_states_the_product()
    {
        Assert.Equal("2 cores × 2.30 GHz × 64 FLOP/cycle (AVX-512 FMA, two pipes) = 294 GFLOP/s",
            IsaPeak.Describe(2, 2.3, 64, "AVX-512 FMA, two pipes"));
    }
}
