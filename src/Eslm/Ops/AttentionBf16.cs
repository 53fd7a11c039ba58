using System.Runtime.InteropServices;
using Eslm.Native;
using Eslm.Tensors;

namespace Eslm.Ops;

/// <summary>
/// The bf16 operands of attention's batched products (<c>--precision bf16</c>): QKᵀ and PV forward, dP = dO·Vᵀ,
/// dV = Pᵀ·dO, dQ = dS·K and dK = dSᵀ·Q backward take bf16 operands with fp32 accumulation and fp32 outputs, through
/// oneDNN's jit GEMM on the worker's own thread (<see cref="OneDnn.GemmBf16OnThisThread"/>). The softmax, its backward,
/// the saved probabilities and every gradient stay fp32. Each worker rounds its (batch, head)'s Q, K, V and dO into its
/// own scratch once, and a block's probabilities or dS just before their products read them.
/// </summary>
public static unsafe partial class Attention
{
    /// <summary>
    /// Products with a shorter sum (the first keys of short sequences, a last block of a few queries) run in fp32 SGEMM on
    /// the fp32 operands, as the linear layers' do (<see cref="Bf16Gemm"/>): oneDNN 2.6's jit GEMM rounds once more than
    /// bf16 operands explain at k ≤ 2, and such products cost nothing.
    /// </summary>
    private const int MinBf16K = 16;

    /// <summary>A product operand: its fp32 values and (bf16 products) their rounding, each with its row stride.</summary>
    private readonly struct Strided(float* values, int ld, ushort* bf16 = null, int ldBf16 = 0)
    {
        public readonly float* Values = values;
        public readonly int Ld = ld;
        public readonly ushort* Bf16 = bf16;
        public readonly int LdBf16 = ldBf16;
    }

    /// <summary>
    /// C[m,n] = alpha·op(A)·op(B) + beta·C: fp32 SGEMM on the fp32 values (fp32 runs: exactly the calls attention always
    /// made), or with <paramref name="bf16"/> (and k ≥ <see cref="MinBf16K"/>) oneDNN on the bf16 roundings.
    /// </summary>
    private static void Product(bool bf16, bool transA, bool transB, int m, int n, int k, float alpha, Strided a, Strided b,
        float beta, float* c, int ldc)
    {
        if (bf16 && k >= MinBf16K)
            OneDnn.GemmBf16OnThisThread(transA, transB, m, n, k, alpha, a.Bf16, a.LdBf16, b.Bf16, b.LdBf16, beta, c, ldc);
        else
            OpenBlas.Sgemm(transA, transB, m, n, k, alpha, a.Values, a.Ld, b.Values, b.Ld, beta, c, ldc);
    }

    /// <summary>
    /// Per-worker bf16 scratch of the attention products: Q, K, V and dO of one (batch, head), [T, HS] each (row stride
    /// HS), and one block of probabilities or dS, [BlockSize, T]. Null pointers everywhere for fp32.
    /// </summary>
    private sealed class Bf16Scratch : IDisposable
    {
        private readonly ushort* _data;
        private readonly long _perWorker, _perHead;

        public Bf16Scratch(bool bf16, int workers, int T, int HS)
        {
            if (!bf16) return;
            OneDnn.EnsureBf16();
            _perHead = (long)T * HS;
            _perWorker = 4 * _perHead + (long)BlockSize * T;
            _data = (ushort*)NativeMemory.AlignedAlloc((nuint)(Math.Max(1, workers * _perWorker) * sizeof(ushort)), 64);
        }

        private ushort* Worker(int w) => _data == null ? null : _data + w * _perWorker;
        public ushort* Q(int w) => Worker(w);
        public ushort* K(int w) => _data == null ? null : Worker(w) + _perHead;
        public ushort* V(int w) => _data == null ? null : Worker(w) + 2 * _perHead;
        public ushort* DOut(int w) => _data == null ? null : Worker(w) + 3 * _perHead;
        /// <summary>One block of probabilities or of dS, rows × keys with row stride keys.</summary>
        public ushort* Block(int w) => _data == null ? null : Worker(w) + 4 * _perHead;

        public void Dispose()
        {
            if (_data != null) NativeMemory.AlignedFree(_data);
        }
    }
}
