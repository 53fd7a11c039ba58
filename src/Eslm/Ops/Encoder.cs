using Eslm.Tensors;

namespace Eslm.Ops;

/// <summary>
/// Token + position embedding: out[b,t,:] = wte[tokens[b,t],:] + wpe[t,:].
/// Shapes: tokens [B,T], wte [Vp,C], wpe [maxT,C], out [B,T,C].
/// </summary>
public static unsafe class Encoder
{
    public static void Forward(float* output, int* tokens, float* wte, float* wpe, int batchSize, int sequenceLength, int channels)
    {
        int B = batchSize, T = sequenceLength, C = channels;
        Parallelism.For(B * T, 64, (start, end) =>
        {
            for (int bt = start; bt < end; bt++)
            {
                int t = bt % T;
                float* o = output + (long)bt * C, e = wte + (long)tokens[bt] * C, p = wpe + (long)t * C;
                for (int c = 0; c < C; c++) o[c] = e[c] + p[c];
            }
        });
    }

    /// <summary>
    /// dwte[tokens[b,t],:] += dout[b,t,:]; dwpe[t,:] += Σ_b dout[b,t,:]. Accumulates; the caller zeroes.
    /// Rows of the same token add in (b,t) order, and each worker owns a channel slice, so results are deterministic.
    /// Positions at or beyond <paramref name="activeLength"/>[b] (when given) are skipped: their dout is zero.
    /// </summary>
    public static void Backward(float* dwte, float* dwpe, float* dout, int* tokens, int batchSize, int sequenceLength,
        int channels, int[]? activeLength = null)
    {
        int B = batchSize, T = sequenceLength, C = channels;
        Parallelism.For(C, 16, (c0, c1) =>
        {
            for (int b = 0; b < B; b++)
            {
                int tEnd = activeLength?[b] ?? T;
                for (int t = 0; t < tEnd; t++)
                {
                    long bt = (long)b * T + t;
                    float* d = dout + bt * C, e = dwte + (long)tokens[bt] * C, p = dwpe + (long)t * C;
                    for (int c = c0; c < c1; c++) { e[c] += d[c]; p[c] += d[c]; }
                }
            }
        });
    }

    /// <summary>
    /// <see cref="Backward"/> for a compact set of rows: row j of <paramref name="doutRows"/> is token
    /// <paramref name="rows"/>[j] of the batch (ascending, so rows of the same token add in the dense order).
    /// </summary>
    public static void BackwardRows(float* dwte, float* dwpe, float* doutRows, int* tokens, int[] rows, int count, int sequenceLength, int channels)
    {
        int T = sequenceLength, C = channels;
        Parallelism.For(C, 16, (c0, c1) =>
        {
            for (int j = 0; j < count; j++)
            {
                int bt = rows[j];
                float* d = doutRows + (long)j * C, e = dwte + (long)tokens[bt] * C, p = dwpe + (long)(bt % T) * C;
                for (int c = c0; c < c1; c++) { e[c] += d[c]; p[c] += d[c]; }
            }
        });
    }
}
