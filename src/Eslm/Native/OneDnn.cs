using System.Runtime.InteropServices;

namespace Eslm.Native;

/// <summary>
/// P/Invoke to oneDNN 2.6 (Debian <c>libdnnl2</c>, C API of <c>dnnl.h</c>): matrix products with bf16 (or fp32) operands,
/// fp32 accumulation and fp32 output. OpenBLAS 0.3.21 has no bf16 GEMM and .NET 10 no AVX512-BF16 intrinsics, so
/// oneDNN (PyTorch's CPU backend) runs the bf16 products (docs/precision.md).
/// <para>One primitive per (type, shape, transposes, leading dimensions, alpha, beta), created on first use and cached;
/// one scratch buffer shared by all of them. oneDNN threads with OpenMP (libgomp): the thread count follows
/// <see cref="OpenBlas.Threads"/> (what <c>--threads</c> set) through omp_set_num_threads on the calling thread.</para>
/// <para>Calls are serialised by a lock: the model issues its GEMMs from one thread, and a primitive's memory objects
/// are rebound to new pointers on every call.</para>
/// </summary>
public static unsafe class OneDnn
{
    private const string Library = "libdnnl.so.2", OpenMp = "libgomp.so.1";
    private const int EngineCpu = 1, StreamDefaultFlags = 1, ScratchpadUser = 1, QueryScratchpadMd = 136, QueryImplInfo = 8;
    private const int ArgSrc = 1, ArgWeights = 33, ArgDst = 17, ArgScratchpad = 80;
    private const int IsaAvx512CoreBf16 = 0xe7;
    // dnnl_memory_desc_t is 696 bytes and dnnl_matmul_desc_t 2,800 in oneDNN 2.6 (sizeof in C); oversized buffers are harmless.
    private const int MemoryDescBytes = 1024, MatmulDescBytes = 4096;

    /// <summary>Operand element type (values of dnnl_data_type_t).</summary>
    public enum DataType { Bf16 = 2, Fp32 = 3 }

    private static readonly object Lock = new();
    private static readonly Lazy<string?> Unavailable = new(Probe);
    private static readonly Dictionary<Key, Primitive> Cache = new();
    private static IntPtr _engine, _stream;
    private static byte* _scratch;
    private static long _scratchBytes;
    [ThreadStatic] private static int _threadsSet;

    /// <summary>
    /// Null when bf16 products can run here; otherwise one sentence saying what is missing (libdnnl2, or a CPU with
    /// AVX512-BF16), for the one-line error of <c>--precision bf16</c>.
    /// </summary>
    public static string? Bf16Unavailable => Unavailable.Value;

    /// <summary>The implementation oneDNN picked for the last primitive created (e.g. "brg:avx512_core_bf16"), for bench output.</summary>
    public static string LastImplementation { get; private set; } = "none";

    /// <summary>Primitives in the cache (created once per shape).</summary>
    public static int CachedPrimitives { get { lock (Lock) return Cache.Count; } }

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
    {
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            // oneDNN rejects k = 0; the product is empty, so only the beta scaling remains.
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) c[(long)i * ldc + j] = beta == 0 ? 0 : beta * c[(long)i * ldc + j];
            return;
        }
        GemmFlops.Add(m, n, k);
        lock (Lock)
        {
            var key = new Key(type, transA, transB, m, n, k, lda, ldb, ldc, alpha, beta);
            if (!Cache.TryGetValue(key, out var p))
            {
                if (Cache.Count >= 512) Clear(); // varying kept-row counts create shapes; bound what they hold
                p = Create(key);
                Cache[key] = p;
            }
            int threads = OpenBlas.Threads > 0 ? OpenBlas.Threads : Environment.ProcessorCount;
            if (_threadsSet != threads) { omp_set_num_threads(threads); _threadsSet = threads; }
            if (p.ScratchBytes > _scratchBytes)
            {
                if (_scratch != null) NativeMemory.AlignedFree(_scratch);
                _scratchBytes = (p.ScratchBytes + 4095) / 4096 * 4096;
                _scratch = (byte*)NativeMemory.AlignedAlloc((nuint)_scratchBytes, 64);
            }
            Check(dnnl_memory_set_data_handle(p.A, a), "set A");
            Check(dnnl_memory_set_data_handle(p.B, b), "set B");
            Check(dnnl_memory_set_data_handle(p.C, c), "set C");
            var args = stackalloc ExecArg[4];
            args[0] = new ExecArg(ArgSrc, p.A); args[1] = new ExecArg(ArgWeights, p.B); args[2] = new ExecArg(ArgDst, p.C);
            int count = 3;
            if (p.Scratch != IntPtr.Zero)
            {
                Check(dnnl_memory_set_data_handle(p.Scratch, _scratch), "set scratch");
                args[count++] = new ExecArg(ArgScratchpad, p.Scratch);
            }
            Check(dnnl_primitive_execute(p.Handle, _stream, count, args), "execute matmul");
            Check(dnnl_stream_wait(_stream), "wait");
        }
    }

    /// <summary>Destroys every cached primitive (they are re-created on demand).</summary>
    public static void Clear()
    {
        lock (Lock)
        {
            foreach (var p in Cache.Values)
            {
                dnnl_memory_destroy(p.A); dnnl_memory_destroy(p.B); dnnl_memory_destroy(p.C);
                if (p.Scratch != IntPtr.Zero) dnnl_memory_destroy(p.Scratch);
                dnnl_primitive_destroy(p.Handle);
            }
            Cache.Clear();
        }
    }

    private static Primitive Create(Key key)
    {
        string? why = Bf16Unavailable; // loads the library (after setting OpenMP's environment)
        if (why is not null && (key.Type == DataType.Bf16 || why.Contains(Library))) throw new NotSupportedException(why);
        if (_engine == IntPtr.Zero)
        {
            IntPtr engine, stream;
            Check(dnnl_engine_create(&engine, EngineCpu, 0), "create engine");
            Check(dnnl_stream_create(&stream, engine, StreamDefaultFlags), "create stream");
            _engine = engine; _stream = stream;
        }
        byte* aMd = stackalloc byte[MemoryDescBytes], bMd = stackalloc byte[MemoryDescBytes], cMd = stackalloc byte[MemoryDescBytes];
        byte* desc = stackalloc byte[MatmulDescBytes];
        // op(A) is m×k: stored row-major with stride lda, or (transposed) as k×m, i.e. strides (1, lda).
        long* dims = stackalloc long[12], strides = stackalloc long[12];
        Describe(aMd, key.M, key.K, key.TransA ? 1 : key.Lda, key.TransA ? key.Lda : 1, (int)key.Type, dims, strides);
        Describe(bMd, key.K, key.N, key.TransB ? 1 : key.Ldb, key.TransB ? key.Ldb : 1, (int)key.Type, dims, strides);
        Describe(cMd, key.M, key.N, key.Ldc, 1, (int)DataType.Fp32, dims, strides);
        Check(dnnl_matmul_desc_init(desc, aMd, bMd, null, cMd), "describe matmul");

        IntPtr attr, postOps = IntPtr.Zero, pd, primitive;
        Check(dnnl_primitive_attr_create(&attr), "create attributes");
        try
        {
            Check(dnnl_primitive_attr_set_scratchpad_mode(attr, ScratchpadUser), "scratchpad mode");
            if (key.Alpha != 1f) { float alpha = key.Alpha; Check(dnnl_primitive_attr_set_output_scales(attr, 1, 0, &alpha), "alpha"); }
            if (key.Beta != 0f)
            {
                // C = alpha·A·B + beta·C: the "sum" post-op adds beta times the destination's previous contents.
                Check(dnnl_post_ops_create(&postOps), "create post-ops");
                Check(dnnl_post_ops_append_sum(postOps, key.Beta), "beta");
                Check(dnnl_primitive_attr_set_post_ops(attr, postOps), "set post-ops");
            }
            Check(dnnl_primitive_desc_create(&pd, desc, attr, _engine, IntPtr.Zero), $"create matmul {key}");
        }
        finally
        {
            if (postOps != IntPtr.Zero) dnnl_post_ops_destroy(postOps);
            dnnl_primitive_attr_destroy(attr);
        }
        try
        {
            IntPtr impl;
            if (dnnl_primitive_desc_query(pd, QueryImplInfo, 0, &impl) == 0) LastImplementation = Marshal.PtrToStringAnsi(impl) ?? "unknown";
            Check(dnnl_primitive_create(&primitive, pd), "create primitive");
            var result = new Primitive { Handle = primitive };
            IntPtr mem;
            Check(dnnl_memory_create(&mem, aMd, _engine, null), "memory A"); result.A = mem;
            Check(dnnl_memory_create(&mem, bMd, _engine, null), "memory B"); result.B = mem;
            Check(dnnl_memory_create(&mem, cMd, _engine, null), "memory C"); result.C = mem;
            void* scratchMd = dnnl_primitive_desc_query_md(pd, QueryScratchpadMd, 0);
            long bytes = scratchMd == null ? 0 : (long)dnnl_memory_desc_get_size(scratchMd);
            if (bytes > 0)
            {
                Check(dnnl_memory_create(&mem, scratchMd, _engine, null), "memory scratch");
                result.Scratch = mem; result.ScratchBytes = bytes;
            }
            return result;
        }
        finally { dnnl_primitive_desc_destroy(pd); }
    }

    private static void Describe(byte* md, long rows, long cols, long rowStride, long colStride, int type, long* dims, long* strides)
    {
        dims[0] = rows; dims[1] = cols; strides[0] = rowStride; strides[1] = colStride;
        Check(dnnl_memory_desc_init_by_strides(md, 2, dims, type, strides), "describe memory");
    }

    private static void Check(int status, string what)
    {
        if (status != 0) throw new InvalidOperationException($"oneDNN: {what} failed (dnnl_status_t {status})");
    }

    private readonly record struct Key(DataType Type, bool TransA, bool TransB, int M, int N, int K, int Lda, int Ldb, int Ldc, float Alpha, float Beta);

    private sealed class Primitive
    {
        public IntPtr Handle, A, B, C, Scratch;
        public long ScratchBytes;
    }

    [StructLayout(LayoutKind.Sequential)]
    private readonly struct ExecArg(int arg, IntPtr memory)
    {
        public readonly int Arg = arg;
        public readonly IntPtr Memory = memory;
    }

    [DllImport(Library)] private static extern int dnnl_get_effective_cpu_isa();
    [DllImport(Library)] private static extern int dnnl_engine_create(IntPtr* engine, int kind, nuint index);
    [DllImport(Library)] private static extern int dnnl_stream_create(IntPtr* stream, IntPtr engine, uint flags);
    [DllImport(Library)] private static extern int dnnl_stream_wait(IntPtr stream);
    [DllImport(Library)] private static extern int dnnl_memory_desc_init_by_strides(void* md, int ndims, long* dims, int dataType, long* strides);
    [DllImport(Library)] private static extern nuint dnnl_memory_desc_get_size(void* md);
    [DllImport(Library)] private static extern int dnnl_matmul_desc_init(void* desc, void* src, void* weights, void* bias, void* dst);
    [DllImport(Library)] private static extern int dnnl_primitive_attr_create(IntPtr* attr);
    [DllImport(Library)] private static extern int dnnl_primitive_attr_destroy(IntPtr attr);
    [DllImport(Library)] private static extern int dnnl_primitive_attr_set_scratchpad_mode(IntPtr attr, int mode);
    [DllImport(Library)] private static extern int dnnl_primitive_attr_set_output_scales(IntPtr attr, long count, int mask, float* scales);
    [DllImport(Library)] private static extern int dnnl_primitive_attr_set_post_ops(IntPtr attr, IntPtr postOps);
    [DllImport(Library)] private static extern int dnnl_post_ops_create(IntPtr* postOps);
    [DllImport(Library)] private static extern int dnnl_post_ops_destroy(IntPtr postOps);
    [DllImport(Library)] private static extern int dnnl_post_ops_append_sum(IntPtr postOps, float scale);
    [DllImport(Library)] private static extern int dnnl_primitive_desc_create(IntPtr* pd, void* opDesc, IntPtr attr, IntPtr engine, IntPtr hint);
    [DllImport(Library)] private static extern int dnnl_primitive_desc_destroy(IntPtr pd);
    [DllImport(Library)] private static extern int dnnl_primitive_desc_query(IntPtr pd, int what, int index, void* result);
    [DllImport(Library)] private static extern void* dnnl_primitive_desc_query_md(IntPtr pd, int what, int index);
    [DllImport(Library)] private static extern int dnnl_primitive_create(IntPtr* primitive, IntPtr pd);
    [DllImport(Library)] private static extern int dnnl_primitive_destroy(IntPtr primitive);
    [DllImport(Library)] private static extern int dnnl_primitive_execute(IntPtr primitive, IntPtr stream, int nargs, ExecArg* args);
    [DllImport(Library)] private static extern int dnnl_memory_create(IntPtr* memory, void* md, IntPtr engine, void* handle);
    [DllImport(Library)] private static extern int dnnl_memory_set_data_handle(IntPtr memory, void* handle);
    [DllImport(Library)] private static extern int dnnl_memory_destroy(IntPtr memory);
    [DllImport(OpenMp)] private static extern void omp_set_num_threads(int threads);
}
