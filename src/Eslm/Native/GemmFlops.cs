namespace Eslm.Native;

/// <summary>
/// Running total of GEMM FLOPs (2·m·n·k per product) executed in this process, whichever library ran them
/// (OpenBLAS SGEMM or a oneDNN matmul): the "executed FLOPs" of training metrics and bench.
/// </summary>
public static class GemmFlops
{
    private static long _executed;

    public static long Executed => Interlocked.Read(ref _executed);

    internal static void Add(int m, int n, int k) => Interlocked.Add(ref _executed, 2L * m * n * k);
}
