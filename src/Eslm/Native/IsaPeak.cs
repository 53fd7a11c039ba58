using System.Globalization;

namespace Eslm.Native;

/// <summary>
/// The theoretical peak of the CPU's vector and matrix units (issue 24: MFU with a fixed meaning across CPUs): cores ×
/// nominal GHz × FLOP per cycle per core of the instruction set in use. FLOP per cycle, from the vendors' manuals:
/// <list type="bullet">
/// <item>fp32 FMA: lanes × 2 (multiply and add) × FMA pipes. AVX-512 on Intel Xeon and Zen 5: 16 × 2 × 2 = 64; Zen 4
/// runs AVX-512 on two 256-bit pipes: 32; AVX2 with two FMA pipes: 32.</item>
/// <item>bf16 dot products (AVX512-BF16, VDPBF16PS): two products per 32-bit lane at the FMA's rate, so 2 × fp32. An upper
/// bound on Intel cores without AMX: oneDNN reached 29% of it on a Xeon (benchmarks/results/2026-12-06-xeon-bf16-kernels.md).</item>
/// <item>AMX-BF16 (TDPBF16PS): 16 × 16 × 32 multiply-adds per 16 cycles = 1,024.</item>
/// </list>
/// The clock is /proc/cpuinfo's "cpu MHz" (under a hypervisor the nominal clock; turbo can exceed it, so a measured rate
/// can exceed this "peak" by the turbo ratio).
/// </summary>
public sealed record IsaPeak(string Cpu, int Cores, double Ghz, string Fp32Isa, double Fp32FlopPerCycle, string Bf16Isa, double Bf16FlopPerCycle)
{
    /// <summary>An Intel CPU whose bf16 arithmetic is AVX512-BF16 without AMX (Cooper Lake, or a Xeon whose hypervisor hides AMX).</summary>
    public bool IntelWithoutAmx { get; init; }

    /// <summary>
    /// Issue 24: a warning for <c>--precision bf16</c> where it is measured slower than fp32 (null elsewhere). On such an
    /// Intel core oneDNN's bf16 GEMM reached 162–171 GFLOP/s against OpenBLAS SGEMM's 288–301, and whole steps were 1.4–1.6×
    /// the fp32 step (benchmarks/results/2026-12-06-xeon-bf16-kernels.md). A rule, not a timing, so runs repeat.
    /// </summary>
    public string? Bf16SlowerThanFp32Warning => IntelWithoutAmx
        ? "bf16 products on this Intel CPU run on AVX512-BF16 dot products without AMX, measured 1.4–1.6× slower per step than fp32 " +
          "on such a Xeon (docs/precision.md); --precision fp32 is faster here"
        : null;

    public double Fp32Gflops => Cores * Ghz * Fp32FlopPerCycle;
    /// <summary>NaN when the CPU has no bf16 arithmetic.</summary>
    public double Bf16Gflops => Cores * Ghz * Bf16FlopPerCycle;

    /// <summary>"2 cores × 2.30 GHz × 64 FLOP/cycle (AVX-512 FMA) = 294 GFLOP/s".</summary>
    public static string Describe(int cores, double ghz, double flopPerCycle, string isa) =>
        string.Create(CultureInfo.InvariantCulture, $"{cores} cores × {ghz:F2} GHz × {flopPerCycle:F0} FLOP/cycle ({isa}) = {cores * ghz * flopPerCycle:F0} GFLOP/s");

    /// <summary>This machine's peak (null when /proc/cpuinfo cannot be read, e.g. not Linux).</summary>
    public static IsaPeak? OfThisMachine()
    {
        try { return FromCpuInfo(File.ReadAllText("/proc/cpuinfo"), Environment.ProcessorCount); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>This machine's peak over the cores this process computes on (OpenBLAS's thread count when set).</summary>
    public static IsaPeak? OfThisProcess() => OfThisMachine() is { } p ? p with { Cores = OpenBlas.Threads > 0 ? OpenBlas.Threads : p.Cores } : null;

    /// <summary>Reads the first processor's block of /proc/cpuinfo; <paramref name="cores"/> is the logical CPUs this process may use.</summary>
    public static IsaPeak? FromCpuInfo(string cpuInfo, int cores)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in cpuInfo.Split('\n'))
        {
            if (line.Trim().Length == 0) { if (fields.Count > 0) break; continue; }
            int colon = line.IndexOf(':');
            if (colon > 0) fields.TryAdd(line[..colon].Trim(), line[(colon + 1)..].Trim());
        }
        if (!fields.TryGetValue("flags", out var flagText)
            || !fields.TryGetValue("cpu MHz", out var mhzText)
            || !double.TryParse(mhzText, NumberStyles.Float, CultureInfo.InvariantCulture, out double mhz) || !(mhz > 0))
            return null;
        var flags = flagText.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        bool amd = fields.GetValueOrDefault("vendor_id") == "AuthenticAMD";
        int family = int.TryParse(fields.GetValueOrDefault("cpu family"), NumberStyles.None, CultureInfo.InvariantCulture, out int f) ? f : 0;
        string name = fields.GetValueOrDefault("model name") ?? "unknown CPU";
        string cpu = string.Create(CultureInfo.InvariantCulture, $"{name} (family {family} model {fields.GetValueOrDefault("model") ?? "?"})");

        var (fp32Isa, fp32) = flags.Contains("avx512f")
            ? amd && family < 26 ? ("AVX-512 FMA on two 256-bit pipes (Zen 4)", 32.0) : ("AVX-512 FMA, two pipes", 64.0)
            : flags.Contains("fma") ? ("AVX2 FMA, two pipes", 32.0) : ("SSE", 8.0);
        var (bf16Isa, bf16) = flags.Contains("amx_bf16") ? ("AMX-BF16", 1024.0)
            : flags.Contains("avx512_bf16") ? ("AVX512-BF16 dot products", 2 * fp32)
            : ("none", double.NaN);
        bool intel = fields.GetValueOrDefault("vendor_id") == "GenuineIntel";
        return new IsaPeak(cpu, cores, mhz / 1000, fp32Isa, fp32, bf16Isa, bf16)
        {
            IntelWithoutAmx = intel && flags.Contains("avx512_bf16") && !flags.Contains("amx_bf16"),
        };
    }
}
