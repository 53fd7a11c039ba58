using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using Eslm.Tensors;

namespace Eslm.Ops;

/// <summary>
/// Fused softmax + cross-entropy + entropy over the real vocabulary V of padded logits [N,Vp] (columns ≥ V never count).
/// One pass per row after the max: e_v = exp(x_v − m), S = Σe, loss = log S − (x_y − m), entropy = log S − Σe(x−m)/S.
/// The row is overwritten with e (padded columns with 0) and S is kept, so the backward needs no second exp.
/// </summary>
public static unsafe class CrossEntropy
{
    /// <summary>
    /// Forward. Shapes: logits [N,Vp] (overwritten with exp(x − rowmax)), targets [N], losses/entropy/rowSum [N].
    /// <paramref name="entropy"/> may be null to skip it (it costs one FMA per element). <paramref name="fastExp"/> uses
    /// <see cref="FastExp"/> (float, ~2 ulp) instead of the correctly rounded <see cref="Vector512.Exp(Vector512{float})"/>:
    /// bf16 runs take it (their logits carry bf16 errors near 10⁻³; it saves ~10 ms of a d6 B8 T256 step), fp32 runs never.
    /// </summary>
    public static void Forward(float* losses, float* entropy, float* rowSum, float* logits, int* targets, int rows, int vocabSize, int paddedVocabSize,
        bool fastExp = false)
    {
        if (fastExp) Forward<FastExponential>(losses, entropy, rowSum, logits, targets, rows, vocabSize, paddedVocabSize);
        else Forward<AccurateExponential>(losses, entropy, rowSum, logits, targets, rows, vocabSize, paddedVocabSize);
    }

    private static void Forward<TExp>(float* losses, float* entropy, float* rowSum, float* logits, int* targets, int rows, int vocabSize, int paddedVocabSize)
        where TExp : struct, IExponential
    {
        int V = vocabSize, Vp = paddedVocabSize;
        Parallelism.For(rows, 4, (start, end) =>
        {
            for (int r = start; r < end; r++)
            {
                float* x = logits + (long)r * Vp;
                int y = targets[r];
                float m = TensorPrimitives.Max(new ReadOnlySpan<float>(x, V));
                float xy = x[y] - m;
                var vm = Vector512.Create(m);
                Vector512<float> s0 = default, s1 = default, w0 = default, w1 = default;
                int v = 0;
                for (; v + 32 <= V; v += 32)
                {
                    var d0 = Vector512.Load(x + v) - vm; var d1 = Vector512.Load(x + v + 16) - vm;
                    var e0 = TExp.Exp(d0); var e1 = TExp.Exp(d1);
                    s0 += e0; s1 += e1; w0 += e0 * d0; w1 += e1 * d1;
                    Vector512.Store(e0, x + v); Vector512.Store(e1, x + v + 16);
                }
                float S = Vector512.Sum(s0 + s1), W = Vector512.Sum(w0 + w1);
                for (; v < V; v++) { float d = x[v] - m, e = MathF.Exp(d); S += e; W += e * d; x[v] = e; }
                new Span<float>(x + V, Vp - V).Clear();
                float logS = MathF.Log(S);
                losses[r] = logS - xy;
                if (entropy != null) entropy[r] = logS - W / S;
                rowSum[r] = S;
            }
        });
    }

    /// <summary>The exp of the forward's inner loop, chosen at compile time (a struct type argument, no branch per vector).</summary>
    private interface IExponential { static abstract Vector512<float> Exp(Vector512<float> x); }
    private struct AccurateExponential : IExponential { public static Vector512<float> Exp(Vector512<float> x) => Vector512.Exp(x); }
    private struct FastExponential : IExponential { public static Vector512<float> Exp(Vector512<float> x) => FastExp.Exp(x); }

    /// <summary>
    /// Turns one row of exp values (from <see cref="Forward"/>) into the gradient of weight·loss w.r.t. the logits:
    /// d = weight·(e/S − onehot(target)); padded columns stay 0. Writes to <paramref name="destination"/>, which may be the row itself.
    /// </summary>
    public static void BackwardRow(float* destination, float* expRow, float rowSum, int target, float weight, int vocabSize, int paddedVocabSize)
    {
        int V = vocabSize;
        float scale = weight / rowSum;
        TensorPrimitives.Multiply(new ReadOnlySpan<float>(expRow, V), scale, new Span<float>(destination, V));
        if (destination != expRow) new Span<float>(destination + V, paddedVocabSize - V).Clear();
        destination[target] -= weight;
    }

    /// <summary>Dense backward over all rows, in place: rows with weight 0 become 0.</summary>
    public static void Backward(float* logits, float* rowSum, int* targets, float* dLosses, int rows, int vocabSize, int paddedVocabSize)
    {
        int Vp = paddedVocabSize;
        Parallelism.For(rows, 4, (start, end) =>
        {
            for (int r = start; r < end; r++)
            {
                float* x = logits + (long)r * Vp;
                if (dLosses[r] == 0f) new Span<float>(x, Vp).Clear();
                else BackwardRow(x, x, rowSum[r], targets[r], dLosses[r], vocabSize, Vp);
            }
        });
    }
}
