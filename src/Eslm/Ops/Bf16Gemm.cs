using System.Runtime.InteropServices;
using Eslm.Native;
using Eslm.Tensors;

namespace Eslm.Ops;

/// <summary>
/// bf16 products through oneDNN: operands rounded to bf16 (round to nearest even), fp32 accumulation, fp32 outputs.
/// Weights that live in the model's parameter block are converted once per parameter version (i.e. once per optimizer
/// step, after the update) and kept; activations and output gradients are converted into reusable scratch just before
/// their product. dY is converted once and feeds both dX and dW.
/// </summary>
internal sealed unsafe class Bf16Gemm : GemmBackend
{
    /// <summary>Rows of dY converted at once are capped at this many elements (the LM head's dlogits): bounds the scratch.</summary>
    private const long MaxChunkElements = 1L << 26;

    /// <summary>
    /// Products with a shorter sum run in fp32 SGEMM: they cost next to nothing, and oneDNN 2.6 runs k ≤ 2 through its jit
    /// gemm, which rounds once more than bf16 operands explain (tests/Eslm.Tests/Native/OneDnnTests.cs).
    /// </summary>
    private const int MinBf16K = 16;

    private readonly TensorBlock? _parameters;
    private readonly Dictionary<nint, WeightCopy> _weights = new();
    private readonly Scratch _left = new(), _right = new(), _weightScratch = new();

    public Bf16Gemm(TensorBlock? parameters)
    {
        OneDnn.EnsureBf16();
        _parameters = parameters;
    }

    public override Precision Precision => Precision.Bf16;

    public override void LinearForward(float* output, float* input, float* weight, int rows, int inChannels, int outChannels, float beta)
    {
        if (rows == 0) return;
        int C = inChannels, OC = outChannels;
        if (C < MinBf16K) { GemmBackend.Fp32.LinearForward(output, input, weight, rows, C, OC, beta); return; }
        ushort* w = Weight(weight, (long)OC * C);
        ushort* x = _left.Get((long)rows * C);
        Bf16.FromFloat(input, C, x, rows, C);
        OneDnn.Matmul(OneDnn.DataType.Bf16, false, true, rows, OC, C, 1f, x, C, w, C, beta, output, OC);
    }

    public override void LinearBackward(float* dInput, float dInputBeta, float* dWeight, float* dOutput, float* input, float* weight,
        int rows, int inChannels, int outChannels, int weightRows)
    {
        // Rows past `rows` are zero padding for SGEMM's sake: they add nothing, so bf16 skips them.
        if (rows == 0) return;
        int C = inChannels, OC = outChannels;
        if (rows < MinBf16K || OC < MinBf16K)
        {
            GemmBackend.Fp32.LinearBackward(dInput, dInputBeta, dWeight, dOutput, input, weight, rows, C, OC, weightRows);
            return;
        }
        ushort* w = dInput != null ? Weight(weight, (long)OC * C) : null;
        int chunk = (int)Math.Clamp(MaxChunkElements / OC, 1, rows);
        for (int r0 = 0; r0 < rows; r0 += chunk)
        {
            int n = Math.Min(chunk, rows - r0);
            ushort* dy = _left.Get((long)n * OC);
            Bf16.FromFloat(dOutput + (long)r0 * OC, OC, dy, n, OC);
            if (dInput != null)
                OneDnn.Matmul(OneDnn.DataType.Bf16, false, false, n, C, OC, 1f, dy, OC, w, C, dInputBeta, dInput + (long)r0 * C, C);
            ushort* x = _right.Get((long)n * C);
            Bf16.FromFloat(input + (long)r0 * C, C, x, n, C);
            OneDnn.Matmul(OneDnn.DataType.Bf16, true, false, OC, C, n, 1f, dy, OC, x, C, 1f, dWeight, C);
        }
    }

    /// <summary>The bf16 copy of a weight matrix: cached when it lives in the parameter block, refreshed when the block's version moved.</summary>
    private ushort* Weight(float* weight, long count)
    {
        var p = _parameters;
        if (p is null || weight < p.Data || weight + count > p.Data + p.Count)
        {
            ushort* tmp = _weightScratch.Get(count);
            Bf16.FromFloat(weight, count, tmp, 1, checked((int)count));
            return tmp;
        }
        if (!_weights.TryGetValue((nint)weight, out var copy))
        {
            copy = new WeightCopy((ushort*)NativeMemory.AlignedAlloc((nuint)(count * sizeof(ushort)), 64));
            _weights[(nint)weight] = copy;
        }
        if (copy.Version != p.Version)
        {
            Bf16.FromFloat(weight, count, copy.Data, 1, checked((int)count));
            copy.Version = p.Version;
        }
        return copy.Data;
    }

    public override void Dispose()
    {
        foreach (var w in _weights.Values) NativeMemory.AlignedFree(w.Data);
        _weights.Clear();
        _left.Dispose(); _right.Dispose(); _weightScratch.Dispose();
    }

    private sealed class WeightCopy(ushort* data)
    {
        public ushort* Data { get; } = data;
        public long Version { get; set; } = -1;
    }

    /// <summary>A grow-only aligned native buffer of bf16 values.</summary>
    private sealed class Scratch : IDisposable
    {
        private ushort* _data;
        private long _capacity;

        public ushort* Get(long count)
        {
            if (count <= _capacity) return _data;
            if (_data != null) NativeMemory.AlignedFree(_data);
            _capacity = count;
            _data = (ushort*)NativeMemory.AlignedAlloc((nuint)(Math.Max(1, count) * sizeof(ushort)), 64);
            return _data;
        }

        public void Dispose()
        {
            if (_data != null) NativeMemory.AlignedFree(_data);
            _data = null; _capacity = 0;
        }
    }
}
