using System.Diagnostics;
using System.Runtime.InteropServices;
using Eslm.Native;
using Eslm.Tensors;

namespace Eslm.Diagnostics;

/// <summary>
/// Measures what the GEMM libraries achieve on this machine right now, on given shapes: the denominator of MFU.
/// Each shape runs a warm-up and then repeats; the best repeat counts (the ceiling, not the average).
/// </summary>
public static unsafe class GemmCeiling
{
    /// <summary>C[M,N] = op(A)[M,K]·op(B)[K,N]; <paramref name="BIsWeight"/>: B is a weight matrix (forward and dX), which the
    /// engine's matmul primitives read in their own layout, packed once per optimizer step (not timed).</summary>
    public sealed record Shape(string Name, int M, int N, int K, bool TransA = false, bool TransB = false, bool BIsWeight = false);

    public sealed record Measurement(Shape Shape, double GflopsPerSecond);

    /// <summary>Which library and operand type runs the product.</summary>
    public enum Library
    {
        /// <summary>OpenBLAS SGEMM: the fp32 engine and the fp32 ceiling.</summary>
        OpenBlasFp32,
        /// <summary>oneDNN matmul with fp32 operands (for comparison with OpenBLAS).</summary>
        OneDnnFp32,
        /// <summary>oneDNN's jit GEMM with bf16 operands, fp32 accumulation and output (<see cref="OneDnn.Kernel.Gemm"/>).</summary>
        OneDnnBf16,
        /// <summary>oneDNN matmul primitives with bf16 operands (<see cref="OneDnn.Kernel.Matmul"/>), weights packed as the engine packs them.</summary>
        OneDnnBf16Matmul,
    }

    /// <summary>The bf16 library the engine runs <paramref name="shape"/> on (<see cref="Bf16Kernels.Choose"/>, as the bf16 backend does).</summary>
    public static Library Bf16EngineLibrary(Shape shape, Bf16KernelRequest request) =>
        Bf16Kernels.Choose(request, OneDnn.HasAmxBf16, shape.M, shape.N, shape.K) == OneDnn.Kernel.Matmul ? Library.OneDnnBf16Matmul : Library.OneDnnBf16;

    /// <summary>
    /// The bf16 ceiling: each shape on the kernel the engine uses for it (<see cref="Bf16EngineLibrary"/>), so the ceiling
    /// and the step measure the same kernels.
    /// </summary>
    public static IReadOnlyList<Measurement> MeasureBf16Engine(IEnumerable<Shape> shapes, Bf16KernelRequest request, int repeats = 3) =>
        shapes.SelectMany(s => Measure([s], repeats, Bf16EngineLibrary(s, request))).ToList();

    /// <summary>oneDNN's implementation name for the matmul primitive of <paramref name="s"/> (e.g. "brg:avx512_core_amx").</summary>
    public static string MatmulImplementation(Shape s) => Primitive(s).Implementation;

    private static OneDnnMatmul.Product Primitive(Shape s) => OneDnnMatmul.Get(new(OneDnn.DataType.Bf16, s.TransA, s.TransB, s.M, s.N, s.K,
        s.TransA ? s.M : s.K, s.TransB ? s.K : s.N, s.N, 1f, 0f, PackedB: s.BIsWeight));

    public static IReadOnlyList<Measurement> Measure(IEnumerable<Shape> shapes, int repeats = 3, Library library = Library.OpenBlasFp32)
    {
        var results = new List<Measurement>();
        foreach (var s in shapes)
        {
            long aSize = (long)s.M * s.K, bSize = (long)s.K * s.N, cSize = (long)s.M * s.N;
            float* a = Alloc(aSize), b = Alloc(bSize), c = Alloc(cSize);
            ushort* a16 = null, b16 = null;
            byte* packed = null;
            try
            {
                for (long i = 0; i < aSize; i++) a[i] = (i % 7) * 0.01f;
                for (long i = 0; i < bSize; i++) b[i] = (i % 5) * 0.01f;
                if (library is Library.OneDnnBf16 or Library.OneDnnBf16Matmul)
                {
                    a16 = (ushort*)NativeMemory.AlignedAlloc((nuint)(aSize * 2), 64); b16 = (ushort*)NativeMemory.AlignedAlloc((nuint)(bSize * 2), 64);
                    Bf16.FromFloat(a, a16, aSize); Bf16.FromFloat(b, b16, bSize);
                }
                int lda = s.TransA ? s.M : s.K, ldb = s.TransB ? s.K : s.N;
                var primitive = library == Library.OneDnnBf16Matmul ? Primitive(s) : null;
                void* bMatmul = b16;
                if (primitive is { PackedBytes: > 0 })
                {
                    packed = (byte*)NativeMemory.AlignedAlloc((nuint)primitive.PackedBytes, 64);
                    primitive.PackB(b16, packed); // once per optimizer step in training: outside the timing
                    bMatmul = packed;
                }
                void Run()
                {
                    switch (library)
                    {
                        case Library.OpenBlasFp32: OpenBlas.Sgemm(s.TransA, s.TransB, s.M, s.N, s.K, 1f, a, lda, b, ldb, 0f, c, s.N); break;
                        case Library.OneDnnFp32: OneDnn.Matmul(OneDnn.DataType.Fp32, s.TransA, s.TransB, s.M, s.N, s.K, 1f, a, lda, b, ldb, 0f, c, s.N); break;
                        case Library.OneDnnBf16: OneDnn.Matmul(OneDnn.DataType.Bf16, s.TransA, s.TransB, s.M, s.N, s.K, 1f, a16, lda, b16, ldb, 0f, c, s.N); break;
                        default: primitive!.Execute(a16, bMatmul, c); break;
                    }
                }
                Run();
                double best = double.MaxValue;
                for (int r = 0; r < repeats; r++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    Run();
                    best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
                }
                results.Add(new Measurement(s, 2.0 * s.M * s.N * s.K / best / 1e9));
            }
            finally
            {
                NativeMemory.AlignedFree(a); NativeMemory.AlignedFree(b); NativeMemory.AlignedFree(c);
                if (a16 != null) NativeMemory.AlignedFree(a16);
                if (b16 != null) NativeMemory.AlignedFree(b16);
                if (packed != null) NativeMemory.AlignedFree(packed);
            }
        }
        return results;
    }

    private static float* Alloc(long n) => (float*)NativeMemory.AlignedAlloc((nuint)(n * sizeof(float)), 64);
}
