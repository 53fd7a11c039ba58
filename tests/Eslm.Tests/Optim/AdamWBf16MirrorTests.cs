using Eslm.Model;
using Eslm.Ops;
using Eslm.Optim;
using Eslm.Tensors;
using Eslm.Tests.Model;
using Xunit;

namespace Eslm.Tests.Optim;

/// <summary>
/// AdamW writes the bf16 backend's weight copies in its own pass: afterwards each copy is bf16(the new fp32 weights),
/// bit for bit what the backend would have rounded, and the backend does not round them again.
/// </summary>
[Collection(SerialCollection.Name)]
public unsafe class AdamWBf16MirrorTests
{
    [SkippableFact]
    public void Update_writes_every_kept_bf16_copy_as_the_rounded_new_weights()
    {
        Skip.If(Eslm.Native.OneDnn.Bf16Unavailable is not null, Eslm.Native.OneDnn.Bf16Unavailable);
        var config = new GptConfig { Layers = 2, Heads = 4, Channels = 64, MaxSequenceLength = 32, VocabSize = 200, PaddedVocabSize = 256 };
        const int B = 2, T = 16;
        var c = ModelCase.Random(config, B, T, 3);
        using var gpt = ModelTestSupport.Create(config, c.Parameters);
        gpt.Precision = Precision.Bf16;
        gpt.Forward(c.Inputs, c.Targets, B, T); // the backend now keeps a bf16 copy of every weight matrix
        gpt.ZeroGradients();
        gpt.Backward(Enumerable.Repeat(1f / (B * T), B * T).ToArray());
        var mirror = (IBf16Mirror)gpt.Gemm;
        using var adamw = new AdamW(gpt.Parameters);
        adamw.Update(gpt.Parameters, gpt.Gradients, 1e-2f, mirror: mirror);

        int mirrored = 0;
        var p = gpt.Parameters;
        for (int t = 0; t < p.Specs.Count; t++)
        {
            long n = p.Specs[t].Count;
            ushort* copy = mirror.MirrorOf(p.Pointer(t), n);
            if (copy == null) continue;
            mirrored++;
            float* w = p.Pointer(t);
            for (long i = 0; i < n; i++)
                Assert.True(copy[i] == Bf16.FromFloat(w[i]), $"{p.Specs[t].Name}[{i}]: copy {copy[i]:x4}, bf16(weight) {Bf16.FromFloat(w[i]):x4}");
        }
        mirror.MirrorsWritten(p);
        Assert.Equal(p.Specs.Count, mirrored); // the backend mirrors the whole parameter block
        // The next forward uses the written copies as they are and gives the bits of a fresh bf16 model on the new weights.
        float loss = gpt.Forward(c.Inputs, c.Targets, B, T);
        using var fresh = ModelTestSupport.Create(config, p.All.ToArray());
        fresh.Precision = Precision.Bf16;
        Assert.Equal(fresh.Forward(c.Inputs, c.Targets, B, T), loss);
    }
}
