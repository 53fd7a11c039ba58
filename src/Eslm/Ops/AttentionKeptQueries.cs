using System.Buffers;
using Eslm.Native;
using Eslm.Tensors;

namespace Eslm.Ops;

/// <summary>
/// Attention backward for a subset of query rows (the kept tokens of a selective loss). Only kept queries carry an output
/// gradient, so every product shrinks to their rows: dP = dO Vᵀ, dS = P ⊙ (dP − rowsum(P ⊙ dP)), dQ = dS K / √HS,
/// dK = dSᵀ Q / √HS, dV = Pᵀ dO, each over the kept queries of a sequence only (blocked by position like the dense
/// backward, causal: a block of kept queries multiplies the keys its last query can see).
/// </summary>
public static unsafe partial class Attention
{
    /// <summary>
    /// Kept rows are compact: row j of <paramref name="dOutKept"/> [n, C], <paramref name="qKept"/> [n, C] (the kept
    /// queries) and <paramref name="dQkvKept"/> [n, 3C] is token <paramref name="keptRows"/>[j] of the batch (ascending), and
    /// sequence b owns the kept rows [<paramref name="sequenceStart"/>[b], <paramref name="sequenceStart"/>[b + 1]).
    /// <para>dQ of the kept rows is written to <paramref name="dQkvKept"/>. Keys and values: with <paramref name="dQkvAll"/>
    /// null, their gradients at the kept rows only are written to <paramref name="dQkvKept"/> (dropped tokens' keys and values
    /// are treated as constants); otherwise the gradients of all positions are added to <paramref name="dQkvAll"/> (exact;
    /// the caller zeroes it), and dQ is scattered there too.</para>
    /// <para><paramref name="precision"/> bf16 runs the four products on bf16 operands (AttentionBf16.cs).</para>
    /// </summary>
    public static void BackwardKeptQueries(float* dQkvKept, float* dQkvAll, float* dOutKept, float* qKept, float* qkv, float* att,
        int batchSize, int sequenceLength, int channels, int heads, int[] keptRows, int[] sequenceStart, Precision precision = Precision.Fp32)
    {
        int B = batchSize, T = sequenceLength, C = channels, NH = heads, HS = C / NH, C3 = 3 * C;
        float scale = 1f / MathF.Sqrt(HS);
        bool bf16 = precision == Precision.Bf16;
        int workers = Workers(B * NH);
        using var rounded = new Bf16Scratch(bf16, workers, T, HS);
        long perWorker = 2L * BlockSize * T + 2L * T * HS;
        float[] scratchArray = ArrayPool<float>.Shared.Rent((int)(workers * perWorker));
        fixed (float* scratchBase = scratchArray)
        {
            float* scratch = scratchBase;
            RunPerHead(B * NH, (bh, worker) =>
            {
                int b = bh / NH, h = bh % NH, o = sequenceStart[b], m = sequenceStart[b + 1] - o;
                if (m == 0) return;
                long rowBase = (long)b * T;
                float* k = qkv + rowBase * C3 + C + h * HS, v = k + C;
                float* a = att + (long)bh * T * T;
                float* q = qKept + (long)o * C + h * HS, dq = dQkvKept + (long)o * C3 + h * HS;
                float* dOut = dOutKept + (long)o * C + h * HS;
                float* p = scratch + worker * perWorker, dp = p + (long)BlockSize * T;
                int seen = (int)(keptRows[o + m - 1] - rowBase) + 1; // keys up to the last kept query's position
                ushort* qb = rounded.Q(worker), kb = rounded.K(worker), vb = rounded.V(worker), dOutB = rounded.DOut(worker), blockB = rounded.Block(worker);
                if (bf16)
                {
                    RoundRows(k, C3, kb, HS, seen, HS); RoundRows(v, C3, vb, HS, seen, HS);
                    RoundRows(q, C, qb, HS, m, HS); RoundRows(dOut, C, dOutB, HS, m, HS); // compact: the kept queries
                }
                float* dk, dv; int ldKv;
                if (dQkvAll != null) { dk = dQkvAll + rowBase * C3 + C + h * HS; dv = dk + C; ldKv = C3; }
                else
                {
                    dk = dp + (long)BlockSize * T; dv = dk + (long)T * HS; ldKv = HS;
                    new Span<float>(dk, seen * HS).Clear();
                    new Span<float>(dv, seen * HS).Clear();
                }
                for (int j0 = 0, j1; j0 < m; j0 = j1)
                {
                    j1 = KeptBlockEnd(keptRows, o, j0, m, rowBase);
                    int rows = j1 - j0;
                    int keys = (int)(keptRows[o + j1 - 1] - rowBase) + 1;
                    // The kept queries' attention rows, contiguous; zero beyond each row's causal horizon.
                    for (int j = j0; j < j1; j++)
                    {
                        int visible = (int)(keptRows[o + j] - rowBase) + 1;
                        float* pr = p + (long)(j - j0) * keys;
                        Buffer.MemoryCopy(a + (long)(visible - 1) * T, pr, visible * sizeof(float), visible * sizeof(float));
                        new Span<float>(pr + visible, keys - visible).Clear();
                    }
                    var dOutBlock = new Strided(dOut + (long)j0 * C, C, dOutB + (long)j0 * HS, HS);
                    Product(bf16, false, true, rows, keys, HS, 1f, dOutBlock, new(v, C3, vb, HS), 0f, dp, keys);
                    if (bf16) RoundRows(p, keys, blockB, keys, rows, keys);
                    Product(bf16, true, false, keys, HS, rows, 1f, new(p, keys, blockB, keys), dOutBlock, 1f, dv, ldKv);
                    for (int j = j0; j < j1; j++)
                    {
                        int visible = (int)(keptRows[o + j] - rowBase) + 1;
                        SoftmaxBackwardRow(dp + (long)(j - j0) * keys, p + (long)(j - j0) * keys, visible, keys);
                    }
                    if (bf16) RoundRows(dp, keys, blockB, keys, rows, keys);
                    var dS = new Strided(dp, keys, blockB, keys);
                    Product(bf16, false, false, rows, HS, keys, scale, dS, new(k, C3, kb, HS), 0f, dq + (long)j0 * C3, C3);
                    Product(bf16, true, false, keys, HS, rows, scale, dS, new(q + (long)j0 * C, C, qb + (long)j0 * HS, HS), 1f, dk, ldKv);
                }
                PlaceKeptRowGradients(dq, dk, dv, dQkvAll == null ? null : dQkvAll + rowBase * C3 + h * HS, keptRows, o, m, rowBase, C, HS);
            });
        }
        ArrayPool<float>.Shared.Return(scratchArray);
    }

    /// <summary>
    /// One (batch, head)'s gradients into place, row j being kept query <c>keptRows[first + j]</c>: with
    /// <paramref name="dQkvAllHead"/> null, the kept positions' dK and dV (<paramref name="dk"/>, <paramref name="dv"/>:
    /// [positions, HS]) go next to their dQ in the compact rows; otherwise dQ is scattered to the positions there.
    /// </summary>
    private static void PlaceKeptRowGradients(float* dq, float* dk, float* dv, float* dQkvAllHead, int[] keptRows, int first, int m,
        long rowBase, int C, int HS)
    {
        int C3 = 3 * C, bytes = HS * sizeof(float);
        for (int j = 0; j < m; j++)
        {
            long t = keptRows[first + j] - rowBase;
            float* keptRow = dq + (long)j * C3;
            if (dQkvAllHead == null)
            {
                Buffer.MemoryCopy(dk + t * HS, keptRow + C, bytes, bytes);
                Buffer.MemoryCopy(dv + t * HS, keptRow + 2 * C, bytes, bytes);
            }
            else
                Buffer.MemoryCopy(keptRow, dQkvAllHead + t * C3, bytes, bytes);
        }
    }

    /// <summary>
    /// End of the block of kept queries that starts at compact row <paramref name="j0"/>: at most <see cref="BlockSize"/>
    /// rows, all in the same <see cref="BlockSize"/>-position block of the sequence as the first, so a block multiplies
    /// only the keys its position block can see, as the dense backward's blocks do (half the kept rows then cost half the
    /// dense products; blocks by count alone made every block of a long sequence see nearly all its keys).
    /// </summary>
    private static int KeptBlockEnd(int[] keptRows, int sequenceStart, int j0, int count, long rowBase)
    {
        long boundary = rowBase + ((keptRows[sequenceStart + j0] - rowBase) / BlockSize + 1) * BlockSize;
        int j1 = j0 + 1, last = Math.Min(count, j0 + BlockSize);
        while (j1 < last && keptRows[sequenceStart + j1] < boundary) j1++;
        return j1;
    }
}
