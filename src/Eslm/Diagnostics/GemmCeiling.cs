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
    public sealed record Shape(string Name, int M, int N, int K, bool TransA = false, bool TransB = false);

    public sealed record Measurement(Shape Shape, double GflopsPerSecond);

    /// <summary>Which library and operand type runs the product.</summary>
    public enum Library
    {
        /// <summary>OpenBLAS SGEMM: the fp32 engine and the fp32 ceiling.</summary>
        OpenBlasFp32,
        /// <summary>oneDNN matmul with fp32 operands (for comparison with OpenBLAS).</summary>
        OneDnnFp32,
        /// <summary>oneDNN matmul with bf16 operands, fp32 accumulation and output: the bf16 ceiling.</summary>
        OneDnnBf16,
    }

    public static IReadOnlyList<Measurement> Measure(IEnumerable<Shape> shapes, int repeats = 3, Library library = Library.OpenBlasFp32)
    {
        var results = new List<Measurement>();
        foreach (var s in shapes)
        {
            long aSize = (long)s.M * s.K, bSize = (long)s.K * s.N, cSize = (long)s.M * s.N;
            float* a = Alloc(aSize), b = Alloc(bSize), c = Alloc(cSize);
            ushort* a16 = null, b16 = null;
            try
            {
                for (long i = 0; i < aSize; i++) a[i] = (i % 7) * 0.01f;
                for (long i = 0; i < bSize; i++) b[i] = (i % 5) * 0.01f;
                if (library == Library.OneDnnBf16)
                {
                    a16 = (ushort*)NativeMemory.AlignedAlloc((nuint)(aSize * 2), 64); b16 = (ushort*)NativeMemory.AlignedAlloc((nuint)(bSize * 2), 64);
                    Bf16.FromFloat(a, a16, aSize); Bf16.FromFloat(b, b16, bSize);
                }
                int lda = s.TransA ? s.M : s.K, ldb = s.TransB ? s.K : s.N;
                void Run()
                {
                    switch (library)
                    {
                        case Library.OpenBlasFp32: OpenBlas.Sgemm(s.TransA, s.TransB, s.M, s.N, s.K, 1f, a, lda, b, ldb, 0f, c, s.N); break;
                        case Library.OneDnnFp32: OneDnn.Matmul(OneDnn.DataType.Fp32, s.TransA, s.TransB, s.M, s.N, s.K, 1f, a, lda, b, ldb, 0f, c, s.N); break;
                        default: OneDnn.Matmul(OneDnn.DataType.Bf16, s.TransA, s.TransB, s.M, s.N, s.K, 1f, a16, lda, b16, ldb, 0f, c, s.N); break;
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
            }
        }
        return results;
    }

    private static float* Alloc(long n) => (float*)NativeMemory.AlignedAlloc((nuint)(n * sizeof(float)), 64);
}
