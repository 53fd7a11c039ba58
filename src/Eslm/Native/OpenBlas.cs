using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Eslm.Native;

/// <summary>
/// P/Invoke bindings to OpenBLAS (Debian package <c>libopenblas0-pthread</c>). All matrix products in Eslm go through
/// <see cref="Sgemm"/>. Call <see cref="Initialize"/> before the first product: it picks the right kernels and thread count.
/// </summary>
public static unsafe class OpenBlas
{
    private const string Library = "libopenblas.so.0";
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;
    private static readonly object InitLock = new();
    private static bool _loaded;

    /// <summary>Kernel family OpenBLAS picked (e.g. "SkylakeX", "Haswell"), known after <see cref="Initialize"/>.</summary>
    public static string CoreName { get; private set; } = "not loaded";

    /// <summary>Running total of GEMM FLOPs executed in this process, OpenBLAS and oneDNN together (<see cref="GemmFlops"/>).</summary>
    public static long ExecutedFlops => GemmFlops.Executed;

    /// <summary>Threads OpenBLAS uses for one product.</summary>
    public static int Threads { get; private set; }

    /// <summary>
    /// Loads OpenBLAS and sets its thread count. On CPUs with AVX-512F where the user has not set OPENBLAS_CORETYPE,
    /// sets it to SkylakeX first: OpenBLAS 0.3.21 mistakes Zen 4/5 for Haswell and runs at half speed. The variable must be
    /// set with libc setenv (Environment.SetEnvironmentVariable does not reach native getenv on Linux) before the library loads.
    /// </summary>
    public static void Initialize(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), "thread count must be at least 1");
        lock (InitLock)
        {
            if (!_loaded)
            {
                if (Avx512F.IsSupported && LibC.getenv("OPENBLAS_CORETYPE") == IntPtr.Zero)
                    LibC.setenv("OPENBLAS_CORETYPE", "SkylakeX", 0);
                if (!NativeLibrary.TryLoad(Library, out _))
                    throw new DllNotFoundException(
                        $"OpenBLAS ({Library}) could not be loaded: install it with `sudo apt-get install libopenblas0-pthread`.");
                _loaded = true;
                CoreName = Marshal.PtrToStringAnsi(openblas_get_corename()) ?? "unknown";
            }
            openblas_set_num_threads(threads);
            Threads = threads;
        }
    }

    /// <summary>Ensures the library is loaded with at least one thread (used by code paths that did not initialize).</summary>
    public static void EnsureInitialized()
    {
        if (!_loaded) Initialize(Math.Max(1, Environment.ProcessorCount));
    }

    /// <summary>
    /// Row-major C[m,n] = alpha · op(A)[m,k] · op(B)[k,n] + beta · C, where op(X) = Xᵀ when the flag is set.
    /// Leading dimensions are the row strides of A, B and C as stored.
    /// <para>Results do not depend on the OpenBLAS thread count. OpenBLAS cuts k into blocks of GEMM_Q (a multiple of 32),
    /// but a last stretch between Q and 2Q is halved differently by its single-threaded driver (rounded up to the unroll)
    /// and its threaded one ((k+1)/2), so e.g. k = 450 or 1000 sum in a different order with 1 and 2 threads. A k that
    /// is a multiple of 32 halves the same way in both, so the product runs as k − k mod 32 plus a rank-(k mod 32) update.</para>
    /// </summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        if (m == 0 || n == 0) return;
        GemmFlops.Add(m, n, k);
        int tail = k % 32, main = k - tail;
        if (main == 0 || tail == 0)
        {
            cblas_sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        cblas_sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, main, alpha, a, lda, b, ldb, beta, c, ldc);
        float* aTail = transA ? a + (long)main * lda : a + main;   // op(A) columns main..k
        float* bTail = transB ? b + main : b + (long)main * ldb;   // op(B) rows main..k
        cblas_sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, tail, alpha, aTail, lda, bTail, ldb, 1f, c, ldc);
    }

    /// <summary>Sets the OpenBLAS thread count without re-initialising (for phases that parallelise outside BLAS).</summary>
    internal static void SetThreads(int threads) => openblas_set_num_threads(threads);

    [DllImport(Library)] private static extern void cblas_sgemm(int order, int transA, int transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);
    [DllImport(Library)] private static extern void openblas_set_num_threads(int threads);
    [DllImport(Library)] private static extern IntPtr openblas_get_corename();

    private static class LibC
    {
        [DllImport("libc", CharSet = CharSet.Ansi)] public static extern int setenv(string name, string value, int overwrite);
        [DllImport("libc", CharSet = CharSet.Ansi)] public static extern IntPtr getenv(string name);
    }
}
