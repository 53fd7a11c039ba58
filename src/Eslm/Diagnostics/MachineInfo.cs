using System.Runtime.Intrinsics.X86;

namespace Eslm.Diagnostics;

/// <summary>Facts about this machine for benchmark records.</summary>
public static class MachineInfo
{
    public static string CpuModel => CpuInfoField("model name");

    /// <summary>The first value of a /proc/cpuinfo field, or "unknown".</summary>
    private static string CpuInfoField(string name)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith(name, StringComparison.Ordinal)) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        return "unknown";
    }

    public static bool HasAvx512 => Avx512F.IsSupported;

    /// <summary>Peak resident set size of this process in MiB (VmHWM), or -1 where /proc is unavailable.</summary>
    public static double PeakRssMegabytes
    {
        get
        {
            try
            {
                foreach (var line in File.ReadLines("/proc/self/status"))
                    if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                        return long.Parse(line[6..].Trim().Split(' ')[0]) / 1024.0;
            }
            catch (Exception e) when (e is IOException or FormatException) { }
            return -1;
        }
    }
}
