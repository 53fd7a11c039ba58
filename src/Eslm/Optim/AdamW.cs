using System.Runtime.Intrinsics;
using Eslm.Tensors;

namespace Eslm.Optim;

public sealed record AdamWOptions
{
    public float Beta1 { get; init; } = 0.9f;
    public float Beta2 { get; init; } = 0.95f;
    public float Epsilon { get; init; } = 1e-8f;
    /// <summary>Decoupled weight decay, applied only to tensors whose spec says so (<see cref="TensorSpec.Decay"/>: the model's matrices).</summary>
    public float WeightDecay { get; init; } = 0.1f;
}

/// <summary>
/// Fused, vectorised AdamW over a whole parameter block (one pass reads p, g, m, v and writes p, m, v).
/// Same arithmetic order as PyTorch's AdamW: p ← p·(1 − lr·wd); p ← p − (lr/bc1)·m / (√v/√bc2 + ε).
/// The gradient scale (from clipping) is folded into the pass.
/// </summary>
public sealed unsafe class AdamW : IDisposable
{
    private readonly float[] _decay;

    public AdamW(TensorBlock parameters, AdamWOptions? options = null)
    {
        Options = options ?? new AdamWOptions();
        M = new TensorBlock(parameters.Specs);
        V = new TensorBlock(parameters.Specs);
        _decay = parameters.Specs.Select(s => s.Decay ? Options.WeightDecay : 0f).ToArray();
    }

    public AdamWOptions Options { get; }

    /// <summary>First and second moments, laid out like the parameters (saved in checkpoints).</summary>
    public TensorBlock M { get; }
    public TensorBlock V { get; }

    /// <summary>Number of updates taken so far (bias corrections use Step after increment).</summary>
    public int Step { get; set; }

    /// <summary>
    /// One AdamW step. When the parameter block keeps a bf16 mirror (<see cref="TensorBlock.Bf16Mirror"/>: a bf16 model),
    /// the pass also writes it: bf16(new value), exactly what <see cref="Bf16Mirror.Refresh"/> would round later, so the
    /// weights are read once per step instead of twice. With <paramref name="clearGradients"/> the pass also writes zeros
    /// over each gradient it has read (and marks the block cleared): the next step's zero_grad is then free instead of a
    /// separate pass over memory (GPT-2 124M: a 500 MB block).
    /// </summary>
    public void Update(TensorBlock parameters, TensorBlock gradients, float learningRate, float gradientScale = 1f,
        bool clearGradients = false)
    {
        Step++;
        parameters.MarkModified(); // weights change below: the mirror is stale until the pass below has written it
        var mirror = parameters.Bf16Mirror;
        float b1 = Options.Beta1, b2 = Options.Beta2, eps = Options.Epsilon;
        float bc1 = 1f - MathF.Pow(b1, Step), bc2 = 1f - MathF.Pow(b2, Step);
        float stepSize = learningRate / bc1, invSqrtBc2 = 1f / MathF.Sqrt(bc2);
        for (int t = 0; t < parameters.Specs.Count; t++)
        {
            float* p = parameters.Pointer(t), g = gradients.Pointer(t), m = M.Pointer(t), v = V.Pointer(t);
            float decayFactor = 1f - learningRate * _decay[t];
            long n = parameters.Specs[t].Count;
            ushort* copy = mirror is null ? null : mirror.Pointer(t);
            Parallelism.For(checked((int)((n + 15) / 16)), 1024, (s, e) =>
            {
                long i = (long)s * 16, end = Math.Min(n, (long)e * 16);
                var vb1 = Vector512.Create(b1); var vb1c = Vector512.Create(1f - b1);
                var vb2 = Vector512.Create(b2); var vb2c = Vector512.Create(1f - b2);
                var vScale = Vector512.Create(gradientScale); var vDecay = Vector512.Create(decayFactor);
                var vStep = Vector512.Create(stepSize); var vInv = Vector512.Create(invSqrtBc2); var vEps = Vector512.Create(eps);
                for (; i + 16 <= end; i += 16)
                {
                    var gi = Vector512.Load(g + i) * vScale;
                    if (clearGradients) Vector512.Store(Vector512<float>.Zero, g + i);
                    var mi = vb1 * Vector512.Load(m + i) + vb1c * gi;
                    var vi = vb2 * Vector512.Load(v + i) + vb2c * gi * gi;
                    var pi = Vector512.Load(p + i) * vDecay;
                    pi -= vStep * mi / (Vector512.Sqrt(vi) * vInv + vEps);
                    Vector512.Store(mi, m + i); Vector512.Store(vi, v + i); Vector512.Store(pi, p + i);
                    if (copy != null) Vector256.Store(Bf16.FromFloat(pi), copy + i);
                }
                for (; i < end; i++)
                {
                    float gi = g[i] * gradientScale;
                    if (clearGradients) g[i] = 0f;
                    float mi = b1 * m[i] + (1f - b1) * gi;
                    float vi = b2 * v[i] + (1f - b2) * gi * gi;
                    m[i] = mi; v[i] = vi;
                    p[i] = p[i] * decayFactor - stepSize * mi / (MathF.Sqrt(vi) * invSqrtBc2 + eps);
                    if (copy != null) copy[i] = Bf16.FromFloat(p[i]);
                }
            });
        }
        mirror?.MarkCurrent();
        if (clearGradients) gradients.MarkCleared();
    }

    public void Dispose() { M.Dispose(); V.Dispose(); }
}
