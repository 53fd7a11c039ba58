using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Eslm.Tensors;

namespace Eslm.Ops;

/// <summary>
/// GELU, tanh approximation (GPT-2): y = ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³).
/// Computed as y = x·σ(2u) (the same function, since ½(1 + tanh u) = σ(2u)): one exp, and no cancellation in
/// 1 + tanh u for negative x, so the negative tail keeps its relative precision.
/// </summary>
public static unsafe class Gelu
{
    private const float Scale = 0.7978845608028654f; // √(2/π)
    private const float Cube = 0.044715f;

    /// <summary>
    /// Forward. With <paramref name="outputBf16"/> (count values, may be null) it also writes bf16(output) (round to
    /// nearest even, <see cref="Bf16.FromFloat(float)"/>) in the same loop: the shadow the next bf16 product reads,
    /// without a separate rounding pass. The fp32 output is the same either way.
    /// </summary>
    public static void Forward(float* output, float* input, long count, ushort* outputBf16 = null)
    {
        Parallelism.For(checked((int)(count / 16 + 1)), 256, (s, e) =>
        {
            long i = (long)s * 16, end = Math.Min(count, (long)e * 16);
            for (; i + 16 <= end; i += 16)
            {
                var x = Vector512.Load(input + i);
                var u = Vector512.Create(Scale) * (x + Vector512.Create(Cube) * x * x * x);
                var y = x * Sigmoid2(u);
                Vector512.Store(y, output + i);
                if (outputBf16 != null) Vector256.Store(Bf16.FromFloat(y), outputBf16 + i);
            }
            for (; i < end; i++)
            {
                float x = input[i];
                output[i] = x / (1f + MathF.Exp(-2f * Scale * (x + Cube * x * x * x)));
                if (outputBf16 != null) outputBf16[i] = Bf16.FromFloat(output[i]);
            }
        });
    }

    /// <summary>
    /// dInput += dOut · dy/dx with dy/dx = σ + 2x·σ(1 − σ)·√(2/π)(1 + 3·0.044715x²), σ = σ(2u)
    /// (equal to ½(1 + tanh u) + ½x(1 − tanh²u)·u′).
    /// dInput may alias dOut (then the gradient replaces it: pass <paramref name="overwrite"/> = true).
    /// </summary>
    public static void Backward(float* dInput, float* input, float* dOutput, long count, bool overwrite = false)
    {
        Parallelism.For(checked((int)(count / 16 + 1)), 256, (s, e) =>
        {
            long i = (long)s * 16, end = Math.Min(count, (long)e * 16);
            var one = Vector512<float>.One;
            for (; i + 16 <= end; i += 16)
            {
                var x = Vector512.Load(input + i);
                var x2 = x * x;
                var sig = Sigmoid2(Vector512.Create(Scale) * (x + Vector512.Create(Cube) * x2 * x));
                var du = Vector512.Create(Scale) * (one + Vector512.Create(3f * Cube) * x2);
                var local = sig + Vector512.Create(2f) * x * sig * (one - sig) * du;
                var g = local * Vector512.Load(dOutput + i);
                Vector512.Store(overwrite ? g : Vector512.Load(dInput + i) + g, dInput + i);
            }
            for (; i < end; i++)
            {
                float x = input[i];
                float sig = 1f / (1f + MathF.Exp(-2f * Scale * (x + Cube * x * x * x)));
                float local = sig + 2f * x * sig * (1f - sig) * Scale * (1f + 3f * Cube * x * x);
                float g = local * dOutput[i];
                dInput[i] = overwrite ? g : dInput[i] + g;
            }
        });
    }

    /// <summary>σ(2u) = 1/(1 + e^{−2u}): saturates to 0 or 1 without NaN when the exp overflows or underflows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Sigmoid2(Vector512<float> u) =>
        Vector512<float>.One / (Vector512<float>.One + Vector512.Exp(-(u + u)));
}
