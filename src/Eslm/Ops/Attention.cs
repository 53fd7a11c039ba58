using System.Buffers;
using System.Runtime.Intrinsics;
using Eslm.Native;
using Eslm.Tensors;

namespace Eslm.Ops;

/// <summary>
/// Causal multi-head self-attention on a packed qkv buffer.
/// Shapes: qkv [B,T,3C] laid out as (Q | K | V), each split into NH heads of HS = C/NH; att [B,NH,T,T]; out [B,T,C].
/// Forward: att = softmax(Q Kᵀ / √HS) over keys ≤ query position; out = att V.
/// All products go through OpenBLAS with strided operands (no copies). Rows are processed in blocks of
/// <see cref="BlockSize"/> queries, and each block multiplies only the keys it can see, which skips the masked half.
/// Work is spread over (batch, head) pairs with OpenBLAS single-threaded inside, since the products are small.
/// </summary>
public static unsafe partial class Attention
{
    public const int BlockSize = 128;

    /// <summary>
    /// Forward. With <paramref name="outputBf16"/> ([B,T,C], may be null) each block of output rows is also rounded to
    /// bf16 (<see cref="Bf16.FromFloat(float*, ushort*, long)"/>) right after its product writes it, while it is in cache:
    /// the shadow the attention projection's bf16 product reads, without a separate rounding pass.
    /// <paramref name="precision"/> bf16 runs QKᵀ and PV on bf16 operands (AttentionBf16.cs); fp32 runs OpenBLAS SGEMM.
    /// </summary>
    public static void Forward(float* output, float* att, float* qkv, int batchSize, int sequenceLength, int channels, int heads,
        ushort* outputBf16 = null, Precision precision = Precision.Fp32)
    {
        int B = batchSize, T = sequenceLength, C = channels, NH = heads, HS = C / NH, C3 = 3 * C;
        float scale = 1f / MathF.Sqrt(HS);
        bool bf16 = precision == Precision.Bf16;
        using var rounded = new Bf16Scratch(bf16, Workers(B * NH), T, HS);
        RunPerHead(B * NH, (bh, worker) =>
        {
            int b = bh / NH, h = bh % NH;
            float* q = qkv + (long)b * T * C3 + h * HS, k = q + C, v = q + 2 * C;
            float* a = att + (long)bh * T * T;
            float* o = output + (long)b * T * C + h * HS;
            ushort* qb = rounded.Q(worker), kb = rounded.K(worker), vb = rounded.V(worker), pb = rounded.Block(worker);
            if (bf16)
            {
                RoundRows(q, C3, qb, HS, T, HS); RoundRows(k, C3, kb, HS, T, HS); RoundRows(v, C3, vb, HS, T, HS);
            }
            for (int i0 = 0; i0 < T; i0 += BlockSize)
            {
                int i1 = Math.Min(T, i0 + BlockSize), rows = i1 - i0;
                float* aBlock = a + (long)i0 * T;
                Product(bf16, false, true, rows, i1, HS, scale, new(q + (long)i0 * C3, C3, qb + (long)i0 * HS, HS), new(k, C3, kb, HS), 0f, aBlock, T);
                for (int t = i0; t < i1; t++) CausalSoftmaxRow(a + (long)t * T, t + 1, T);
                if (bf16) RoundRows(aBlock, T, pb, i1, rows, i1);
                Product(bf16, false, false, rows, HS, i1, 1f, new(aBlock, T, pb, i1), new(v, C3, vb, HS), 0f, o + (long)i0 * C, C);
                if (outputBf16 != null) RoundRows(o + (long)i0 * C, C, outputBf16 + (o - output) + (long)i0 * C, C, rows, HS);
            }
        });
    }

    /// <summary>
    /// Backward, accumulating into dQkv (the caller zeroes). With dP = dOut Vᵀ and S = pre-softmax scores:
    /// dV += attᵀ dOut; dS = att ⊙ (dP − rowsum(att ⊙ dP)); dQ += dS K / √HS; dK += dSᵀ Q / √HS.
    /// Only positions below <paramref name="activeLength"/>[b] are processed (beyond it dOut is zero and, by causality,
    /// nothing earlier depends on them). <paramref name="precision"/> bf16 runs the four products on bf16 operands.
    /// </summary>
    public static void Backward(float* dQkv, float* dOutput, float* qkv, float* att, int batchSize, int sequenceLength,
        int channels, int heads, int[]? activeLength = null, Precision precision = Precision.Fp32)
    {
        int B = batchSize, T = sequenceLength, C = channels, NH = heads, HS = C / NH, C3 = 3 * C;
        float scale = 1f / MathF.Sqrt(HS);
        bool bf16 = precision == Precision.Bf16;
        int workers = Workers(B * NH);
        using var rounded = new Bf16Scratch(bf16, workers, T, HS);
        float[] scratchArray = ArrayPool<float>.Shared.Rent(workers * T * T);
        fixed (float* scratchBase = scratchArray)
        {
            float* scratch = scratchBase;
            RunPerHead(B * NH, (bh, worker) =>
            {
                int b = bh / NH, h = bh % NH;
                int Tb = activeLength?[b] ?? T;
                float* q = qkv + (long)b * T * C3 + h * HS, k = q + C, v = q + 2 * C;
                float* dq = dQkv + (long)b * T * C3 + h * HS, dk = dq + C, dv = dq + 2 * C;
                float* a = att + (long)bh * T * T;
                float* dOut = dOutput + (long)b * T * C + h * HS;
                float* dp = scratch + (long)worker * T * T;
                ushort* qb = rounded.Q(worker), kb = rounded.K(worker), vb = rounded.V(worker), dOutB = rounded.DOut(worker), blockB = rounded.Block(worker);
                if (bf16)
                {
                    RoundRows(q, C3, qb, HS, Tb, HS); RoundRows(k, C3, kb, HS, Tb, HS); RoundRows(v, C3, vb, HS, Tb, HS);
                    RoundRows(dOut, C, dOutB, HS, Tb, HS);
                }
                for (int i0 = 0; i0 < Tb; i0 += BlockSize)
                {
                    int i1 = Math.Min(Tb, i0 + BlockSize), rows = i1 - i0;
                    float* aBlock = a + (long)i0 * T, dpBlock = dp + (long)i0 * T;
                    var dOutBlock = new Strided(dOut + (long)i0 * C, C, dOutB + (long)i0 * HS, HS);
                    Product(bf16, false, true, rows, i1, HS, 1f, dOutBlock, new(v, C3, vb, HS), 0f, dpBlock, T);
                    if (bf16) RoundRows(aBlock, T, blockB, i1, rows, i1);
                    Product(bf16, true, false, i1, HS, rows, 1f, new(aBlock, T, blockB, i1), dOutBlock, 1f, dv, C3);
                    for (int t = i0; t < i1; t++) SoftmaxBackwardRow(dp + (long)t * T, a + (long)t * T, t + 1, i1);
                    if (bf16) RoundRows(dpBlock, T, blockB, i1, rows, i1);
                    var dS = new Strided(dpBlock, T, blockB, i1);
                    Product(bf16, false, false, rows, HS, i1, scale, dS, new(k, C3, kb, HS), 1f, dq + (long)i0 * C3, C3);
                    Product(bf16, true, false, i1, HS, rows, scale, dS, new(q + (long)i0 * C3, C3, qb + (long)i0 * HS, HS), 1f, dk, C3);
                }
            });
        }
        ArrayPool<float>.Shared.Return(scratchArray);
    }

    /// <summary>destination row r = bf16(source row r), <paramref name="columns"/> values a row, rows at the given strides.</summary>
    private static void RoundRows(float* source, long sourceStride, ushort* destination, long destinationStride, int rows, int columns)
    {
        for (int r = 0; r < rows; r++) Bf16.FromFloat(source + r * sourceStride, destination + r * destinationStride, columns);
    }

    /// <summary>Softmax over row[0..visible), zeros in row[visible..width).</summary>
    private static void CausalSoftmaxRow(float* row, int visible, int width)
    {
        var span = new Span<float>(row, visible);
        float max = System.Numerics.Tensors.TensorPrimitives.Max((ReadOnlySpan<float>)span);
        var vmax = Vector512.Create(max); var acc = Vector512<float>.Zero;
        int j = 0;
        for (; j + 16 <= visible; j += 16)
        {
            var e = Vector512.Exp(Vector512.Load(row + j) - vmax);
            acc += e; Vector512.Store(e, row + j);
        }
        float sum = Vector512.Sum(acc);
        for (; j < visible; j++) { float e = MathF.Exp(row[j] - max); sum += e; row[j] = e; }
        System.Numerics.Tensors.TensorPrimitives.Multiply(span, 1f / sum, span);
        new Span<float>(row + visible, width - visible).Clear();
    }

    /// <summary>In place over dp[0..width): dp[j] = att[j]·(dp[j] − Σ_{k&lt;visible} att[k]·dp[k]) for j &lt; visible, else 0.</summary>
    private static void SoftmaxBackwardRow(float* dp, float* att, int visible, int width)
    {
        float dot = System.Numerics.Tensors.TensorPrimitives.Dot(new ReadOnlySpan<float>(att, visible), new ReadOnlySpan<float>(dp, visible));
        var vdot = Vector512.Create(dot);
        int j = 0;
        for (; j + 16 <= visible; j += 16)
            Vector512.Store(Vector512.Load(att + j) * (Vector512.Load(dp + j) - vdot), dp + j);
        for (; j < visible; j++) dp[j] = att[j] * (dp[j] - dot);
        new Span<float>(dp + visible, width - visible).Clear();
    }

    /// <summary>Workers that <see cref="RunPerHead"/> spreads <paramref name="count"/> items over.</summary>
    private static int Workers(int count) => Math.Max(1, Math.Min(Parallelism.Threads, count));

    /// <summary>Spreads (batch, head) items over workers, each running OpenBLAS single-threaded; restores BLAS threads after.</summary>
    private static void RunPerHead(int count, Action<int, int> body)
    {
        int workers = Workers(count);
        if (workers == 1) { for (int i = 0; i < count; i++) body(i, 0); return; }
        int blasThreads = OpenBlas.Threads;
        OpenBlas.SetThreads(1);
        try
        {
            Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
            {
                int start = (int)((long)count * w / workers), end = (int)((long)count * (w + 1) / workers);
                for (int i = start; i < end; i++) body(i, w);
            });
        }
        finally { OpenBlas.SetThreads(Math.Max(1, blasThreads)); }
    }
}
