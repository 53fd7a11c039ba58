using System.Buffers;
using System.Runtime.Intrinsics;
using System.Numerics.Tensors;
using Eslm.Tensors;

namespace Eslm.Ops;

/// <summary>
/// LayerNorm over the last dimension: out = (x − mean)·rstd·weight + bias, rstd = 1/√(var + 1e-5), var biased.
/// Shapes: input/out [N,C], mean/rstd [N], weight/bias [C]. See docs/architecture.md.
/// </summary>
public static unsafe class LayerNorm
{
    public const float Epsilon = 1e-5f;

    /// <summary>
    /// Forward. With <paramref name="outputBf16"/> ([N,C], may be null) it also writes bf16(output) (round to nearest
    /// even, <see cref="Bf16.FromFloat(float)"/>) in the same loop: the shadow a bf16 product reads next, without a
    /// separate rounding pass over the output. The fp32 output is the same either way.
    /// </summary>
    public static void Forward(float* output, float* mean, float* rstd, float* input, float* weight, float* bias, int rows, int channels,
        ushort* outputBf16 = null)
    {
        int C = channels;
        Parallelism.For(rows, 16, (start, end) =>
        {
            for (int r = start; r < end; r++)
            {
                float* x = input + (long)r * C, o = output + (long)r * C;
                ushort* ob = outputBf16 == null ? null : outputBf16 + (long)r * C;
                float m = Sum(x, C) / C;
                float v = SumSquaredDeviation(x, m, C) / C;
                float s = 1f / MathF.Sqrt(v + Epsilon);
                int c = 0;
                var vm = Vector512.Create(m); var vs = Vector512.Create(s);
                for (; c + 16 <= C; c += 16)
                {
                    var y = (Vector512.Load(x + c) - vm) * vs * Vector512.Load(weight + c) + Vector512.Load(bias + c);
                    Vector512.Store(y, o + c);
                    if (ob != null) Vector256.Store(Bf16.FromFloat(y), ob + c);
                }
                for (; c < C; c++)
                {
                    o[c] = (x[c] - m) * s * weight[c] + bias[c];
                    if (ob != null) ob[c] = Bf16.FromFloat(o[c]);
                }
                mean[r] = m; rstd[r] = s;
            }
        });
    }

    /// <summary>
    /// Backward (accumulates into dInput, dWeight, dBias; the caller zeroes). With n = (x−mean)·rstd and g = weight·dout:
    /// dx = rstd·(g − mean(g) − n·mean(g·n)); dWeight += Σ_rows n·dout; dBias += Σ_rows dout.
    /// Row chunks are fixed (<see cref="Parallelism.ReductionChunks"/>) so dWeight/dBias sums do not depend on the thread count.
    /// </summary>
    /// <param name="inputRows">Optional: row r's input, mean and rstd are row <c>inputRows[r]</c> of those arrays (the
    /// kept-rows backward reads the forward's saved rows in place instead of gathering them); gradients stay row r.</param>
    public static void Backward(float* dInput, float* dWeight, float* dBias, float* dOutput, float* input, float* weight,
        float* mean, float* rstd, int rows, int channels, int[]? inputRows = null)
    {
        int C = channels;
        int chunks = Math.Min(Parallelism.ReductionChunks, Math.Max(1, rows));
        float[] partialArray = ArrayPool<float>.Shared.Rent(chunks * 2 * C);
        fixed (float* partial = partialArray)
        {
            float* part = partial;
            new Span<float>(part, chunks * 2 * C).Clear();
            Parallelism.ForEach(chunks, k =>
            {
                int r0 = (int)((long)rows * k / chunks), r1 = (int)((long)rows * (k + 1) / chunks);
                float* dw = part + (long)k * 2 * C, db = dw + C;
                for (int r = r0; r < r1; r++)
                {
                    long i = inputRows is null ? r : inputRows[r];
                    BackwardRow(dInput + (long)r * C, dw, db, dOutput + (long)r * C, input + i * C, weight, mean[i], rstd[i], C);
                }
            });
            for (int k = 0; k < chunks; k++)
            {
                TensorPrimitives.Add(new ReadOnlySpan<float>(dWeight, C), new ReadOnlySpan<float>(part + (long)k * 2 * C, C), new Span<float>(dWeight, C));
                TensorPrimitives.Add(new ReadOnlySpan<float>(dBias, C), new ReadOnlySpan<float>(part + (long)k * 2 * C + C, C), new Span<float>(dBias, C));
            }
        }
        ArrayPool<float>.Shared.Return(partialArray);
    }

    private static void BackwardRow(float* dx, float* dw, float* db, float* dout, float* x, float* w, float m, float s, int C)
    {
        // Two passes: the means of g and g·n, then the gradients.
        var vm = Vector512.Create(m); var vs = Vector512.Create(s);
        var accG = Vector512<float>.Zero; var accGn = Vector512<float>.Zero;
        int c = 0;
        for (; c + 16 <= C; c += 16)
        {
            var n = (Vector512.Load(x + c) - vm) * vs;
            var g = Vector512.Load(w + c) * Vector512.Load(dout + c);
            accG += g; accGn += g * n;
        }
        float sumG = Vector512.Sum(accG), sumGn = Vector512.Sum(accGn);
        for (int k = c; k < C; k++) { float n = (x[k] - m) * s, g = w[k] * dout[k]; sumG += g; sumGn += g * n; }
        float meanG = sumG / C, meanGn = sumGn / C;
        var vMeanG = Vector512.Create(meanG); var vMeanGn = Vector512.Create(meanGn);
        c = 0;
        for (; c + 16 <= C; c += 16)
        {
            var n = (Vector512.Load(x + c) - vm) * vs;
            var d = Vector512.Load(dout + c);
            var g = Vector512.Load(w + c) * d;
            Vector512.Store(Vector512.Load(db + c) + d, db + c);
            Vector512.Store(Vector512.Load(dw + c) + n * d, dw + c);
            Vector512.Store(Vector512.Load(dx + c) + (g - vMeanG - n * vMeanGn) * vs, dx + c);
        }
        for (; c < C; c++)
        {
            float n = (x[c] - m) * s, d = dout[c], g = w[c] * d;
            db[c] += d; dw[c] += n * d; dx[c] += (g - meanG - n * meanGn) * s;
        }
    }

    private static float Sum(float* x, int n)
    {
        var acc = Vector512<float>.Zero; int i = 0;
        for (; i + 16 <= n; i += 16) acc += Vector512.Load(x + i);
        float s = Vector512.Sum(acc);
        for (; i < n; i++) s += x[i];
        return s;
    }

    private static float SumSquaredDeviation(float* x, float m, int n)
    {
        var acc = Vector512<float>.Zero; var vm = Vector512.Create(m); int i = 0;
        for (; i + 16 <= n; i += 16) { var d = Vector512.Load(x + i) - vm; acc += d * d; }
        float s = Vector512.Sum(acc);
        for (; i < n; i++) { float d = x[i] - m; s += d * d; }
        return s;
    }
}
