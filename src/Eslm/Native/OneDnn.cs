using System.Runtime.InteropServices;

namespace Eslm.Native;

/// <summary>
/// P/Invoke to oneDNN 2.6 (Debian <c>libdnnl2</c>): matrix products with bf16 (or fp32) operands, fp32 accumulation and
/// fp32 output. OpenBLAS 0.3.21 has no bf16 GEMM and .NET 10 no AVX512-BF16 intrinsics, so oneDNN (PyTorch's CPU backend)
/// runs the bf16 products (docs/precision.md).
/// <para>Two kernels (<see cref="Kernel"/>; <see cref="Bf16Kernels"/> picks per CPU and shape): <see cref="Kernel.Gemm"/>,
/// the default, and <see cref="Kernel.Matmul"/>, a cached matmul primitive per shape (<see cref="OneDnnMatmul"/>), the
/// only way to oneDNN's AMX kernels.</para>
/// <para>The jit GEMM products go straight to oneDNN's BLAS-like jit GEMMs, <c>dnnl_gemm_bf16bf16f32</c> and <c>dnnl_sgemm</c>
/// (row-major, the contract of <see cref="OpenBlas.Sgemm"/>). On this engine's shapes they beat the matmul primitive,
/// which picks its brgemm kernels for dense operands: 1.1–1.5× on the LM head's three products and on every product
/// that accumulates (beta = 1), measured one after the other on Zen 5, 2 threads (docs/precision.md). They also need
/// no primitive cache and no scratchpad. oneDNN threads with OpenMP (libgomp): the thread count follows
/// <see cref="OpenBlas.Threads"/> (what <c>--threads</c> set) through omp_set_num_threads on the calling thread.</para>
/// <para>Calls are serialised by a lock: the model issues its GEMMs from one thread. Attention's small products are the
/// exception (<see cref="GemmBf16OnThisThread"/>): each worker runs its own, single-threaded.</para>
/// </summary>
public static unsafe class OneDnn
{
    private const string Library = "libdnnl.so.2", OpenMp = "libgomp.so.1";
    private const int IsaAvx512CoreBf16 = 0xe7, IsaAvx512CoreAmx = 0x3e7;

    /// <summary>Operand element type (values of dnnl_data_type_t).</summary>
    public enum DataType { Bf16 = 2, Fp32 = 3 }

    /// <summary>Which oneDNN entry point runs a product.</summary>
    public enum Kernel
    {
        /// <summary>The BLAS-like jit GEMM (dnnl_gemm_bf16bf16f32, dnnl_sgemm): AVX512-BF16, never AMX.</summary>
        Gemm,
        /// <summary>A matmul primitive, created once per shape and cached: brgemm, on AMX where the CPU has it.</summary>
        Matmul,
    }

    internal static readonly object Lock = new();
    private static readonly Lazy<string?> Unavailable = new(Probe);
    [ThreadStatic] private static int _threadsSet;

    /// <summary>
    /// Null when bf16 products can run here; otherwise one sentence saying what is missing (libdnnl2, or a CPU with
    /// AVX512-BF16), for the one-line error of <c>--precision bf16</c>.
    /// </summary>
    public static string? Bf16Unavailable => Unavailable.Value;

    private static string? Probe()
    {
        // libgomp's idle threads spin by default after each parallel region; on a few shared cores they then steal the
        // CPU from OpenBLAS and Eslm's own kernels that run between the oneDNN products (measured on d6 B8 T256, 2 cores:
        // bf16/fp32 step ratio 0.86 spinning, 0.63 passive). libgomp reads this once, when it loads with libdnnl.
        NativeEnvironment.SetDefault("OMP_WAIT_POLICY", "PASSIVE");
        if (!NativeLibrary.TryLoad(Library, out _))
            return $"oneDNN ({Library}) is not installed: install it with `apt-get install libdnnl2` (scripts/setup.sh does)";
        int isa = dnnl_get_effective_cpu_isa();
        if ((isa & IsaAvx512CoreBf16) != IsaAvx512CoreBf16)
            return $"this CPU lacks AVX512-BF16 (oneDNN's best instruction set here is 0x{isa:x}), so bf16 products would be emulated";
        return null;
    }

    /// <summary>Throws <see cref="NotSupportedException"/> with <see cref="Bf16Unavailable"/> when bf16 cannot run.</summary>
    public static void EnsureBf16()
    {
        if (Bf16Unavailable is { } why) throw new NotSupportedException($"--precision bf16 is unavailable: {why}; use --precision fp32");
    }

    /// <summary>
    /// Row-major C[m,n] = alpha · op(A)[m,k] · op(B)[k,n] + beta · C with A and B of <paramref name="type"/> (bf16 as raw
    /// ushort bit patterns) and C fp32; op(X) = Xᵀ when the flag is set; leading dimensions are row strides as stored
    /// (the same contract as <see cref="OpenBlas.Sgemm"/>). Accumulation is fp32.
    /// </summary>
    public static void Matmul(DataType type, bool transA, bool transB, int m, int n, int k, float alpha,
        void* a, int lda, void* b, int ldb, float beta, float* c, int ldc)
        => Matmul(Kernel.Gemm, type, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary><see cref="Matmul(DataType, bool, bool, int, int, int, float, void*, int, void*, int, float, float*, int)"/> on the given kernel.</summary>
    public static void Matmul(Kernel kernel, DataType type, bool transA, bool transB, int m, int n, int k, float alpha,
        void* a, int lda, void* b, int ldb, float beta, float* c, int ldc)
    {
        if (m == 0 || n == 0) return;
        if (type == DataType.Bf16) EnsureBf16();
        else if (Bf16Unavailable is { } why && why.Contains(Library)) throw new NotSupportedException(why);
        if (k == 0)
        {
            // The product is empty: only the beta scaling remains.
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) c[(long)i * ldc + j] = beta == 0 ? 0 : beta * c[(long)i * ldc + j];
            return;
        }
        if (kernel == Kernel.Matmul)
        {
            lock (Lock) OneDnnMatmul.GetLocked(new(type, transA, transB, m, n, k, lda, ldb, ldc, alpha, beta)).ExecuteLocked(a, b, c);
            return;
        }
        GemmFlops.Add(m, n, k);
        byte ta = transA ? (byte)'T' : (byte)'N', tb = transB ? (byte)'T' : (byte)'N';
        lock (Lock)
        {
            SetThreads();
            int status = type == DataType.Bf16
                ? dnnl_gemm_bf16bf16f32(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
                : dnnl_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            if (status != 0)
                throw new InvalidOperationException($"oneDNN: {type} gemm {(char)ta}{(char)tb} m={m} n={n} k={k} lda={lda} ldb={ldb} ldc={ldc} failed (dnnl_status_t {status})");
        }
    }

    /// <summary>
    /// The jit GEMM <c>dnnl_gemm_bf16bf16f32</c> (contract of <see cref="Matmul(DataType, bool, bool, int, int, int, float, void*, int, void*, int, float, float*, int)"/>,
    /// bf16 operands) on the calling thread alone: one OpenMP thread, and no <see cref="Lock"/>, so several of Eslm's
    /// workers run their own small products at once (attention's per-(batch, head) products, each worker owning its
    /// output). The jit GEMM keeps no state between calls.
    /// </summary>
    public static void GemmBf16OnThisThread(bool transA, bool transB, int m, int n, int k, float alpha,
        ushort* a, int lda, ushort* b, int ldb, float beta, float* c, int ldc)
    {
        if (m == 0 || n == 0) return;
        if (k == 0) throw new ArgumentOutOfRangeException(nameof(k), "an empty product (k = 0) has no bf16 operands");
        EnsureBf16();
        GemmFlops.Add(m, n, k);
        if (_threadsSet != 1) { omp_set_num_threads(1); _threadsSet = 1; }
        byte ta = transA ? (byte)'T' : (byte)'N', tb = transB ? (byte)'T' : (byte)'N';
        int status = dnnl_gemm_bf16bf16f32(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        if (status != 0)
            throw new InvalidOperationException($"oneDNN: bf16 gemm {(char)ta}{(char)tb} m={m} n={n} k={k} lda={lda} ldb={ldb} ldc={ldc} failed (dnnl_status_t {status})");
    }

    /// <summary>The OpenMP thread count oneDNN runs with: <see cref="OpenBlas.Threads"/> (what --threads set), else every core.</summary>
    internal static int Threads => OpenBlas.Threads > 0 ? OpenBlas.Threads : Environment.ProcessorCount;

    /// <summary>oneDNN's OpenMP threads follow <see cref="OpenBlas.Threads"/>; the caller holds <see cref="Lock"/>.</summary>
    internal static void SetThreads()
    {
        int threads = Threads;
        if (_threadsSet != threads) { omp_set_num_threads(threads); _threadsSet = threads; }
    }

    /// <summary>oneDNN's best instruction set on this CPU (dnnl_cpu_isa_t); 0 where the library is missing.</summary>
    public static int EffectiveIsa => Bf16Unavailable is { } why && why.Contains(Library) ? 0 : dnnl_get_effective_cpu_isa();

    /// <summary>Whether oneDNN can run AMX-BF16 here (the CPU has it and the kernel lets the process use its tiles).</summary>
    public static bool HasAmxBf16 => (EffectiveIsa & IsaAvx512CoreAmx) == IsaAvx512CoreAmx;

    [DllImport(Library)] private static extern int dnnl_get_effective_cpu_isa();
    // Both take row-major operands (oneDNN swaps them into its column-major kernels); transposes are 'N' or 'T'.
    [DllImport(Library)] private static extern int dnnl_gemm_bf16bf16f32(byte transA, byte transB, long m, long n, long k, float alpha,
        void* a, long lda, void* b, long ldb, float beta, float* c, long ldc);
    [DllImport(Library)] private static extern int dnnl_sgemm(byte transA, byte transB, long m, long n, long k, float alpha,
        void* a, long lda, void* b, long ldb, float beta, float* c, long ldc);
    [DllImport(OpenMp)] private static extern void omp_set_num_threads(int threads);
}
