using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Eslm.Tensors;

/// <summary>
/// exp on 16 floats in float arithmetic: about 1.7× the throughput of <see cref="Vector512.Exp(Vector512{float})"/>,
/// which widens to double for a correctly rounded result. Cody–Waite reduction x = k·ln2 + r (|r| ≤ ln2/2, ln2 split in
/// two parts so k·ln2 is exact), a degree-6 Taylor polynomial for e^r, and 2^k built in the exponent bits.
/// Measured relative error ≤ 2.3·10⁻⁷ (about 2 ulp) on [−87, 0] (tests/Eslm.Tests/Tensors/FastExpTests.cs).
/// <para>For the cross-entropy of bf16 runs, whose logits already carry bf16-operand errors near 10⁻³. Inputs are
/// clamped to [−87.3, 88] (the normal range of the result), so exp(−∞) gives 1.2·10⁻³⁸ rather than 0; NaN stays NaN.</para>
/// </summary>
public static class FastExp
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        // NaN fails both comparisons and passes through the clamp unchanged.
        x = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(-87.3f)), Vector512.Create(-87.3f), x);
        x = Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512.Create(88f)), Vector512.Create(88f), x);
        // k = round(x / ln2) by the 1.5·2²³ trick: after the add, k's integer sits in the low mantissa bits.
        var magic = Vector512.Create(12582912f);
        var shifted = Vector512.FusedMultiplyAdd(x, Vector512.Create(1.44269504f), magic);
        var k = shifted - magic;
        var r = Vector512.FusedMultiplyAdd(k, Vector512.Create(-0.693145752f), x);
        r = Vector512.FusedMultiplyAdd(k, Vector512.Create(-1.42860677e-6f), r);
        var p = Vector512.Create(1f / 720);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 120));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 24));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 6));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(0.5f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);
        // 2^k: (k + 127) into the exponent field; the magic's bits are 0x4B400000 + k.
        var scale = (shifted.AsInt32() + Vector512.Create(127 - 0x4B400000)) << 23;
        return p * scale.AsSingle();
    }
}
