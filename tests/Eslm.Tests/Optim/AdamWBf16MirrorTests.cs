using Eslm.Model;
using Eslm.Ops;
using Eslm.Optim;
using Eslm.Tensors;
using Eslm.Tests.Model;
using Xunit;

namespace Eslm.Tests.Optim;

/// <summary>
/// AdamW writes the parameter block's bf16 mirror in its own pass: afterwards the mirror is current and each copy is
/// bf16(the new fp32 weights), bit for bit what a refresh would have rounded, so the next forward does not round again.
/// </summary>
[Collection(SerialCollection.Name)]
public unsafe class AdamWBf16MirrorTests
{
    /// <summary>
    /// On matmul primitives (auto's choice on AMX, forced here) the products read the mirror's packed copies: the last
    /// step, equal to a fresh model's forward, shows they were re-laid after the update (a stale copy holds the old weights).
    /// </summary>
    [SkippableTheory]
    [InlineData(Eslm.Native.Bf16KernelRequest.Gemm)]
    [InlineData(Eslm.Native.Bf16KernelRequest.Matmul)]
    public void Update_writes_the_whole_bf16_mirror_as_the_rounded_new_weights(Eslm.Native.Bf16KernelRequest kernel)
    {
        Skip.If(Eslm.Native.OneDnn.Bf16Unavailable is not null, Eslm.Native.OneDnn.Bf16Unavailable);
        Bf16Gemm.RequestOverride = kernel;
        try { UpdateAndCompare(); }
        finally { Bf16Gemm.RequestOverride = null; }
    }

    private static void UpdateAndCompare()
    {
        var config = new GptConfig { Layers = 2, Heads = 4, Channels = 64, MaxSequenceLength = 32, VocabSize = 200, PaddedVocabSize = 256 };
        const int B = 2, T = 16;
        var c = ModelCase.Random(config, B, T, 3);
        using var gpt = ModelTestSupport.Create(config, c.Parameters);
        gpt.Precision = Precision.Bf16; // the parameter block now keeps a bf16 mirror
        gpt.Forward(c.Inputs, c.Targets, B, T);
        gpt.ZeroGradients();
        gpt.Backward(Enumerable.Repeat(1f / (B * T), B * T).ToArray());
        var p = gpt.Parameters;
        var mirror = p.Bf16Mirror!;
        using var adamw = new AdamW(p);
        adamw.Update(p, gpt.Gradients, 1e-2f);

        Assert.True(mirror.IsCurrent, "the optimizer's pass leaves the mirror current");
        for (int t = 0; t < p.Specs.Count; t++)
        {
            long n = p.Specs[t].Count;
            ushort* copy = mirror.Pointer(t);
            float* w = p.Pointer(t);
            for (long i = 0; i < n; i++)
                Assert.True(copy[i] == Bf16.FromFloat(w[i]), $"{p.Specs[t].Name}[{i}]: copy {copy[i]:x4}, bf16(weight) {Bf16.FromFloat(w[i]):x4}");
        }
        // The next forward uses the written copies as they are and gives the bits of a fresh bf16 model on the new weights.
        float loss = gpt.Forward(c.Inputs, c.Targets, B, T);
        using var fresh = ModelTestSupport.Create(config, p.All.ToArray());
        fresh.Precision = Precision.Bf16;
        Assert.Equal(fresh.Forward(c.Inputs, c.Targets, B, T), loss);
    }
}
