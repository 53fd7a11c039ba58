using System.Runtime.InteropServices;

namespace Eslm.Native;

/// <summary>
/// oneDNN matmul primitives (C API of <c>dnnl.h</c>, oneDNN 2.6): the bf16 product kernel for CPUs with AMX-BF16, where
/// oneDNN runs them on its brgemm AMX kernels (<c>brg:avx512_core_amx</c>), which its jit GEMM never uses
/// (<see cref="Bf16Kernels"/> decides; docs/precision.md, "Kernel choice per CPU"). Elsewhere the same primitives run
/// brgemm on AVX512-BF16 (<c>brg:avx512_core_bf16</c>).
/// <para>One primitive per <see cref="Key"/> (type, shape, transposes, leading dimensions, alpha, beta, weight layout),
/// created on first use and cached (bounded: a full cache is emptied and refilled on demand); one scratchpad shared by
/// all. With <see cref="Key.PackedB"/> the primitive picks the layout of its B operand (the weights): a caller reorders
/// the weights into it once per weight change with <see cref="Product.PackB"/> (the bf16 mirror keeps the copy), and
/// the activations and gradients (A, C) stay plain row-major, the layout they are written in, so no pass re-lays them.</para>
/// <para>Calls are serialised by <see cref="OneDnn"/>'s lock: the model issues its products from one thread.</para>
/// </summary>
public static unsafe class OneDnnMatmul
{
    private const string Library = "libdnnl.so.2";
    private const int EngineCpu = 1, StreamDefaultFlags = 1, ScratchpadUser = 1, FormatTagAny = 1;
    private const int QueryImplInfo = 8, QueryWeightsMd = 131, QueryScratchpadMd = 136;
    private const int ArgSrc = 1, ArgWeights = 33, ArgDst = 17, ArgScratchpad = 80, ArgFrom = 1, ArgTo = 17;
    // dnnl_memory_desc_t is 696 bytes and dnnl_matmul_desc_t 2,800 in oneDNN 2.6 (sizeof in C).
    private const int MemoryDescBytes = 696, MatmulDescBytes = 4096;
    private const int MaxCached = 512;

    /// <summary>
    /// A product's description: row-major C[m,n] = alpha·op(A)[m,k]·op(B)[k,n] + beta·C with leading dimensions as
    /// stored (<see cref="OneDnn.Matmul"/>'s contract). <see cref="PackedB"/>: B is a weight matrix the caller can keep in
    /// the primitive's preferred layout.
    /// </summary>
    public readonly record struct Key(OneDnn.DataType Type, bool TransA, bool TransB, int M, int N, int K, int Lda, int Ldb, int Ldc,
        float Alpha, float Beta, bool PackedB = false);

    // Keyed by the thread count too: a primitive splits its work by the threads there were when it was created.
    private static readonly Dictionary<(Key, int Threads), Product> Cache = new();
    private static readonly List<(byte[] Plain, byte[] Packed)> Layouts = new(); // weight reorders seen so far; an id is an index
    private static IntPtr _engine, _stream;
    private static byte* _scratch;
    private static long _scratchBytes;

    /// <summary>
    /// Primitives created since the process started (each new shape creates one; a full cache re-creates them): on AMX a
    /// selection run's varying kept-row counts are new shapes, and bench reports this count to show what that costs.
    /// </summary>
    public static long Created { get { lock (OneDnn.Lock) return _created; } }
    private static long _created;

    /// <summary>Primitives in the cache.</summary>
    public static int CachedPrimitives { get { lock (OneDnn.Lock) return Cache.Count; } }

    /// <summary>The cached primitive of <paramref name="key"/> (created on first use). Caller holds no lock.</summary>
    public static Product Get(Key key)
    {
        lock (OneDnn.Lock) return GetLocked(key);
    }

    internal static Product GetLocked(Key key)
    {
        int threads = OneDnn.Threads;
        if (Cache.TryGetValue((key, threads), out var p)) return p;
        // Loads the library after OneDnn has set OpenMP's environment, and refuses bf16 where it cannot run.
        if (key.Type == OneDnn.DataType.Bf16) OneDnn.EnsureBf16();
        else if (OneDnn.Bf16Unavailable is { } why && why.Contains(Library)) throw new NotSupportedException(why);
        if (Cache.Count >= MaxCached) ClearLocked(); // varying kept-row counts create shapes; bound what they hold
        OneDnn.SetThreads(); // before the primitive is described: oneDNN plans its split for this many threads
        p = Create(key);
        _created++;
        Cache[(key, threads)] = p;
        return p;
    }

    /// <summary>Destroys every cached primitive (they are re-created on demand, identical: same shape, same kernel).</summary>
    public static void Clear()
    {
        lock (OneDnn.Lock) ClearLocked();
    }

    private static void ClearLocked()
    {
        foreach (var p in Cache.Values) p.Destroy();
        Cache.Clear();
    }

    /// <summary>A cached matmul primitive with its memory objects (rebound to the caller's pointers on every call).</summary>
    public sealed class Product
    {
        internal IntPtr Handle, A, B, C, Scratch, PackReorder, PackFrom, PackTo;
        internal long ScratchBytes;

        internal Product(Key key) => Key = key;

        /// <summary>The product this primitive computes.</summary>
        public Key Key { get; }

        /// <summary>The kernel oneDNN picked, e.g. "brg:avx512_core_amx" or "brg:avx512_core_bf16".</summary>
        public string Implementation { get; internal set; } = "unknown";

        /// <summary>Bytes of B in the primitive's layout when it differs from plain row-major (0: B is read as stored).</summary>
        public long PackedBytes { get; internal set; }

        /// <summary>
        /// Identifies what <see cref="PackB"/> writes (the plain layout it reads and the packed one it writes): primitives
        /// with equal ids read the same packed copy of a weight.
        /// </summary>
        public int Layout { get; internal set; } = -1;

        /// <summary>Reorders B, stored as the key says (row-major, its leading dimension), into the packed layout at <paramref name="packed"/>.</summary>
        public void PackB(void* plain, void* packed)
        {
            if (PackedBytes == 0) throw new InvalidOperationException("this product reads B as stored; there is nothing to pack");
            lock (OneDnn.Lock)
            {
                if (Handle == IntPtr.Zero) throw new ObjectDisposedException(nameof(Product), "the primitive cache was emptied: get the product again");
                OneDnn.SetThreads();
                Check(dnnl_memory_set_data_handle(PackFrom, plain), "set pack source");
                Check(dnnl_memory_set_data_handle(PackTo, packed), "set pack destination");
                var args = stackalloc ExecArg[2];
                args[0] = new ExecArg(ArgFrom, PackFrom); args[1] = new ExecArg(ArgTo, PackTo);
                Check(dnnl_primitive_execute(PackReorder, Stream, 2, args), "reorder weights");
                Check(dnnl_stream_wait(Stream), "wait");
            }
        }

        /// <summary>Runs the product; <paramref name="b"/> is packed when <see cref="PackedBytes"/> &gt; 0.</summary>
        public void Execute(void* a, void* b, float* c)
        {
            lock (OneDnn.Lock) ExecuteLocked(a, b, c);
        }

        internal void ExecuteLocked(void* a, void* b, float* c)
        {
            if (Handle == IntPtr.Zero) throw new ObjectDisposedException(nameof(Product), "the primitive cache was emptied: get the product again");
            GemmFlops.Add(Key.M, Key.N, Key.K);
            OneDnn.SetThreads();
            if (ScratchBytes > _scratchBytes)
            {
                if (_scratch != null) NativeMemory.AlignedFree(_scratch);
                _scratchBytes = (ScratchBytes + 4095) / 4096 * 4096;
                _scratch = (byte*)NativeMemory.AlignedAlloc((nuint)_scratchBytes, 64);
            }
            Check(dnnl_memory_set_data_handle(A, a), "set A");
            Check(dnnl_memory_set_data_handle(B, b), "set B");
            Check(dnnl_memory_set_data_handle(C, c), "set C");
            var args = stackalloc ExecArg[4];
            args[0] = new ExecArg(ArgSrc, A); args[1] = new ExecArg(ArgWeights, B); args[2] = new ExecArg(ArgDst, C);
            int count = 3;
            if (Scratch != IntPtr.Zero)
            {
                Check(dnnl_memory_set_data_handle(Scratch, _scratch), "set scratch");
                args[count++] = new ExecArg(ArgScratchpad, Scratch);
            }
            Check(dnnl_primitive_execute(Handle, Stream, count, args), "execute matmul");
            Check(dnnl_stream_wait(Stream), "wait");
        }

        internal void Destroy()
        {
            foreach (var m in new[] { A, B, C, Scratch, PackFrom, PackTo }) if (m != IntPtr.Zero) dnnl_memory_destroy(m);
            if (PackReorder != IntPtr.Zero) dnnl_primitive_destroy(PackReorder);
            if (Handle != IntPtr.Zero) dnnl_primitive_destroy(Handle);
            Handle = A = B = C = Scratch = PackReorder = PackFrom = PackTo = IntPtr.Zero;
        }
    }

    private static IntPtr Stream => _stream;

    private static Product Create(Key key)
    {
        if (_engine == IntPtr.Zero)
        {
            IntPtr engine, stream;
            Check(dnnl_engine_create(&engine, EngineCpu, 0), "create engine");
            Check(dnnl_stream_create(&stream, engine, StreamDefaultFlags), "create stream");
            _engine = engine; _stream = stream;
        }
        byte* aMd = stackalloc byte[MemoryDescBytes], bMd = stackalloc byte[MemoryDescBytes], cMd = stackalloc byte[MemoryDescBytes];
        byte* bAny = stackalloc byte[MemoryDescBytes], desc = stackalloc byte[MatmulDescBytes];
        long* dims = stackalloc long[2], strides = stackalloc long[2];
        int type = (int)key.Type;
        // op(A) is m×k: stored row-major with stride lda, or (transposed) as k×m, i.e. strides (1, lda).
        Describe(aMd, key.M, key.K, key.TransA ? 1 : key.Lda, key.TransA ? key.Lda : 1, type, dims, strides);
        Describe(bMd, key.K, key.N, key.TransB ? 1 : key.Ldb, key.TransB ? key.Ldb : 1, type, dims, strides);
        Describe(cMd, key.M, key.N, key.Ldc, 1, (int)OneDnn.DataType.Fp32, dims, strides);
        if (key.PackedB)
        {
            dims[0] = key.K; dims[1] = key.N;
            Check(dnnl_memory_desc_init_by_tag(bAny, 2, dims, type, FormatTagAny), "describe packed weights");
        }
        Check(dnnl_matmul_desc_init(desc, aMd, key.PackedB ? bAny : bMd, null, cMd), "describe matmul");

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
        var result = new Product(key);
        try
        {
            IntPtr impl;
            if (dnnl_primitive_desc_query(pd, QueryImplInfo, 0, &impl) == 0) result.Implementation = Marshal.PtrToStringAnsi(impl) ?? "unknown";
            Check(dnnl_primitive_create(&primitive, pd), "create primitive");
            result.Handle = primitive;
            void* chosenB = key.PackedB ? dnnl_primitive_desc_query_md(pd, QueryWeightsMd, 0) : bMd;
            IntPtr mem;
            Check(dnnl_memory_create(&mem, aMd, _engine, null), "memory A"); result.A = mem;
            Check(dnnl_memory_create(&mem, chosenB, _engine, null), "memory B"); result.B = mem;
            Check(dnnl_memory_create(&mem, cMd, _engine, null), "memory C"); result.C = mem;
            if (key.PackedB && dnnl_memory_desc_equal(chosenB, bMd) == 0)
                AddPackReorder(result, bMd, chosenB);
            void* scratchMd = dnnl_primitive_desc_query_md(pd, QueryScratchpadMd, 0);
            long bytes = scratchMd == null ? 0 : (long)dnnl_memory_desc_get_size(scratchMd);
            if (bytes > 0)
            {
                Check(dnnl_memory_create(&mem, scratchMd, _engine, null), "memory scratch");
                result.Scratch = mem; result.ScratchBytes = bytes;
            }
            return result;
        }
        catch
        {
            if (result.Handle != IntPtr.Zero) result.Destroy();
            throw;
        }
        finally { dnnl_primitive_desc_destroy(pd); }
    }

    /// <summary>The reorder plain B → the primitive's layout, and the layout's id (equal layouts share one id).</summary>
    private static void AddPackReorder(Product p, void* plainMd, void* packedMd)
    {
        IntPtr reorderPd, reorder, mem;
        Check(dnnl_reorder_primitive_desc_create(&reorderPd, plainMd, _engine, packedMd, _engine, IntPtr.Zero), "describe weight reorder");
        try
        {
            Check(dnnl_primitive_create(&reorder, reorderPd), "create weight reorder");
            p.PackReorder = reorder;
        }
        finally { dnnl_primitive_desc_destroy(reorderPd); }
        Check(dnnl_memory_create(&mem, plainMd, _engine, null), "memory pack source"); p.PackFrom = mem;
        Check(dnnl_memory_create(&mem, packedMd, _engine, null), "memory pack destination"); p.PackTo = mem;
        p.PackedBytes = (long)dnnl_memory_desc_get_size(packedMd);
        // A packed copy is what the reorder wrote: the same packed layout of a square weight read as W or as Wᵀ holds
        // different values, so the id names the pair (plain source, packed destination).
        int id = Layouts.FindIndex(l => Equal(l.Plain, plainMd) && Equal(l.Packed, packedMd));
        if (id < 0)
        {
            id = Layouts.Count;
            Layouts.Add((new ReadOnlySpan<byte>(plainMd, MemoryDescBytes).ToArray(), new ReadOnlySpan<byte>(packedMd, MemoryDescBytes).ToArray()));
        }
        p.Layout = id;
    }

    private static bool Equal(byte[] known, void* md)
    {
        fixed (byte* k = known) return dnnl_memory_desc_equal(k, md) != 0;
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

    [StructLayout(LayoutKind.Sequential)]
    private readonly struct ExecArg(int arg, IntPtr memory)
    {
        public readonly int Arg = arg;
        public readonly IntPtr Memory = memory;
    }

    [DllImport(Library)] private static extern int dnnl_engine_create(IntPtr* engine, int kind, nuint index);
    [DllImport(Library)] private static extern int dnnl_stream_create(IntPtr* stream, IntPtr engine, uint flags);
    [DllImport(Library)] private static extern int dnnl_stream_wait(IntPtr stream);
    [DllImport(Library)] private static extern int dnnl_memory_desc_init_by_strides(void* md, int ndims, long* dims, int dataType, long* strides);
    [DllImport(Library)] private static extern int dnnl_memory_desc_init_by_tag(void* md, int ndims, long* dims, int dataType, int tag);
    [DllImport(Library)] private static extern int dnnl_memory_desc_equal(void* lhs, void* rhs);
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
    [DllImport(Library)] private static extern int dnnl_reorder_primitive_desc_create(IntPtr* pd, void* srcMd, IntPtr srcEngine, void* dstMd, IntPtr dstEngine, IntPtr attr);
    [DllImport(Library)] private static extern int dnnl_primitive_desc_destroy(IntPtr pd);
    [DllImport(Library)] private static extern int dnnl_primitive_desc_query(IntPtr pd, int what, int index, void* result);
    [DllImport(Library)] private static extern void* dnnl_primitive_desc_query_md(IntPtr pd, int what, int index);
    [DllImport(Library)] private static extern int dnnl_primitive_create(IntPtr* primitive, IntPtr pd);
    [DllImport(Library)] private static extern int dnnl_primitive_destroy(IntPtr primitive);
    [DllImport(Library)] private static extern int dnnl_primitive_execute(IntPtr primitive, IntPtr stream, int nargs, ExecArg* args);
    [DllImport(Library)] private static extern int dnnl_memory_create(IntPtr* memory, void* md, IntPtr engine, void* handle);
    [DllImport(Library)] private static extern int dnnl_memory_set_data_handle(IntPtr memory, void* handle);
    [DllImport(Library)] private static extern int dnnl_memory_destroy(IntPtr memory);
}
