using System.Runtime.InteropServices;
using Eslm.Native;
using Eslm.Tensors;

namespace Eslm.Ops;

/// <summary>
/// bf16 products through oneDNN: operands rounded to bf16 (round to nearest even), fp32 accumulation, fp32 outputs.
/// The backend keeps no state but scratch: an operand's bf16 shadow, when its owner keeps one (<see cref="Operand"/>),
/// is read instead of rounding (weights: the parameter block's mirror) or written by the forward for the backward to
/// read (activations); operands without one, and output gradients, are rounded into reusable scratch just before their
/// product. dY is converted once and feeds both dX and dW.
/// <para>Each product runs on the oneDNN kernel <see cref="Bf16Kernels.Choose"/> picks (jit GEMM, or on AMX a matmul
/// primitive per shape). A primitive reads a weight with a mirror in its preferred layout, which the mirror keeps and
/// re-lays once per weight change (<see cref="Bf16Mirror.Packed"/>); activations and gradients stay row-major.</para>
/// </summary>
internal sealed unsafe class Bf16Gemm : GemmBackend
{
    /// <summary>Rows of dY converted at once are capped at this many elements (the LM head's dlogits): bounds the scratch.</summary>
    private const long MaxChunkElements = 1L << 26;

    /// <summary>
    /// Cap on a compact bf16 dY buffer of the head's kept rows: 1,536 rows of GPT-2's padded vocabulary (155 MB), below
    /// the fp32 engine's 1,024-row fp32 chunk buffer (206 MB), which bf16 does not allocate.
    /// </summary>
    internal static long MaxChunkRowElements { get; set; } = DefaultMaxChunkRowElements;
    internal const long DefaultMaxChunkRowElements = 1536L * 50304;

    /// <summary>
    /// Products with a shorter sum run in fp32 SGEMM: they cost next to nothing, and oneDNN 2.6 runs k ≤ 2 through its jit
    /// gemm, which rounds once more than bf16 operands explain (tests/Eslm.Tests/Native/OneDnnTests.cs).
    /// </summary>
    private const int MinBf16K = 16;

    private readonly Scratch _left = new(), _right = new(), _weightScratch = new();
    private readonly bool _amx;

    /// <summary>Tests force a kernel here; null: <see cref="Bf16Kernels.EnvironmentVariable"/> decides (unset: auto).</summary>
    internal static Bf16KernelRequest? RequestOverride { get; set; }

    /// <summary><paramref name="request"/> null: <see cref="RequestOverride"/>, else <see cref="Bf16Kernels.EnvironmentVariable"/>.</summary>
    public Bf16Gemm(Bf16KernelRequest? request = null)
    {
        OneDnn.EnsureBf16();
        Request = request ?? RequestOverride ?? Bf16Kernels.FromEnvironment();
        _amx = OneDnn.HasAmxBf16;
    }

    /// <summary>The kernel choice this backend follows.</summary>
    public Bf16KernelRequest Request { get; }

    /// <summary>The kernel this backend runs a product C[m,n] (+)= A[m,k]·B[k,n] on.</summary>
    public OneDnn.Kernel KernelFor(int m, int n, int k) => Bf16Kernels.Choose(Request, _amx, m, n, k);

    public override Precision Precision => Precision.Bf16;

    public override void LinearForward(float* output, Operand input, Operand weight, int rows, int inChannels, int outChannels, float beta)
    {
        if (rows == 0) return;
        int C = inChannels, OC = outChannels;
        // The shadow holds bf16(input) after every forward product, even one that runs in fp32 below: the backward trusts it.
        // Its producer may have written it already (LayerNorm, GELU: in the pass that wrote the fp32 values).
        ushort* x = input.Bf16;
        if (x != null && !input.Bf16Written) Bf16.FromFloat(input.Values, C, x, rows, C);
        if (C < MinBf16K) { GemmBackend.Fp32.LinearForward(output, input, weight, rows, C, OC, beta); return; }
        ushort* w = Weight(weight, (long)OC * C);
        if (x == null)
        {
            x = _right.Get((long)rows * C);
            Bf16.FromFloat(input.Values, C, x, rows, C);
        }
        WeightProduct(true, rows, OC, C, x, C, weight, w, beta, output, OC);
    }

    /// <summary>
    /// C[m,n] = A[m,k]·op(W) + beta·C with the weight W ([OC, C] row-major, leading dimension C) as B: op(W) = Wᵀ when
    /// <paramref name="transW"/>. A matmul primitive reads the weight's packed copy when its mirror can keep one.
    /// </summary>
    private void WeightProduct(bool transW, int m, int n, int k, ushort* a, int lda, Operand weight, ushort* w, float beta, float* c, int ldc)
    {
        int ldw = transW ? k : n;
        var kernel = KernelFor(m, n, k);
        if (kernel == OneDnn.Kernel.Gemm || weight.Mirror is null || weight.Bf16 != w)
        {
            OneDnn.Matmul(kernel, OneDnn.DataType.Bf16, false, transW, m, n, k, 1f, a, lda, w, ldw, beta, c, ldc);
            return;
        }
        var product = OneDnnMatmul.Get(new(OneDnn.DataType.Bf16, false, transW, m, n, k, lda, ldw, ldc, 1f, beta, PackedB: true));
        void* b = product.PackedBytes == 0 ? w : weight.Mirror.Packed(w, product.Layout, product.PackedBytes, product.PackB);
        product.Execute(a, b, c);
    }

    public override void LinearBackward(float* dInput, float dInputBeta, float* dWeight, float* dOutput, Operand input, Operand weight,
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
            ushort* x = input.At((long)r0 * C).Bf16;
            if (x == null)
            {
                x = _right.Get((long)n * C);
                Bf16.FromFloat(input.Values + (long)r0 * C, C, x, n, C);
            }
            Products(dInput == null ? null : dInput + (long)r0 * C, dInputBeta, dWeight, dy, OC, x, weight, w, n, C, OC);
        }
    }

    public override void LinearBackwardGathered(float* dInput, float* dWeight, float* dOutput, Operand input, int[] rows, int count,
        Operand weight, int inChannels, int outChannels, float* gatherScratch)
    {
        int C = inChannels, OC = outChannels;
        // The forward rounded every row of this input: gather the kept rows' bf16 copies (2 bytes a value, not 4 + a rounding pass).
        ushort* rounded = count < MinBf16K || OC < MinBf16K || count > MaxChunkElements / OC ? null : input.Bf16;
        if (rounded == null)
        {
            base.LinearBackwardGathered(dInput, dWeight, dOutput, input, rows, count, weight, C, OC, gatherScratch);
            return;
        }
        ushort* x = _right.Get((long)count * C), dy = _left.Get((long)count * OC);
        RowGather.Gather(x, rounded, rows, count, C);
        Bf16.FromFloat(dOutput, OC, dy, count, OC);
        Products(dInput, 0f, dWeight, dy, OC, x, weight, Weight(weight, (long)OC * C), count, C, OC);
    }

    /// <summary>
    /// The backward pair on bf16 operands: dInput[n, C] = dy·w + beta·dInput (skipped when dInput is null), then
    /// dWeight[OC, C] += dyᵀ·x; dy is [n, OC] with row stride <paramref name="ldDy"/>, x is [n, C]; w is the weight's bf16 values.
    /// </summary>
    private void Products(float* dInput, float dInputBeta, float* dWeight, ushort* dy, int ldDy, ushort* x, Operand weight, ushort* w, int n, int C, int OC)
    {
        if (dInput != null) WeightProduct(false, n, C, OC, dy, ldDy, weight, w, dInputBeta, dInput, C);
        OneDnn.Matmul(KernelFor(OC, C, n), OneDnn.DataType.Bf16, true, false, OC, C, n, 1f, dy, ldDy, x, C, 1f, dWeight, C);
    }

    public override bool TryLinearBackwardFromRows(float* dInput, float* dWeight, Operand weight, Operand input, int[]? inputRows,
        int rows, int inChannels, int outChannels, GradientRowWriter writeRow, float* reusableRows)
    {
        int C = inChannels, OC = outChannels;
        if (rows < MinBf16K || OC < MinBf16K || C < MinBf16K) return false;
        ushort* w = Weight(weight, (long)OC * C);
        // In place: bf16 row j goes to the first half of fp32 row j of the caller's buffer (free once row j is written),
        // so dY takes no memory of its own; its leading dimension is then 2·OC bf16 values.
        // Not on matmul primitives: brgemm (AMX's only path) needs dense operands, and with dY's leading dimension 2·OC
        // the primitive falls back to its jit GEMM for both products (ONEDNN_VERBOSE shows gemm:jit). They take dY in
        // compact chunks instead, at most MaxChunkRowElements values (GPT-2: 155 MB; d6 B8 T256: 2 chunks of 1,024 rows, 103 MB).
        bool inPlace = reusableRows != null && KernelFor(rows, C, OC) == OneDnn.Kernel.Gemm;
        int chunk = inPlace ? rows : ChunkRows(rows, OC);
        int ld = inPlace ? checked(2 * OC) : OC;
        // The forward rounded the head's input (lnf) into its shadow: the dense head reads those rows in place, kept rows copy theirs.
        ushort* roundedRows = inputRows is null ? null : input.Bf16;
        for (int r0 = 0; r0 < rows; r0 += chunk)
        {
            int n = Math.Min(chunk, rows - r0);
            ushort* dy = inPlace ? (ushort*)(reusableRows + (long)r0 * OC) : _left.Get((long)n * OC);
            ushort* x = inputRows is null ? input.At((long)r0 * C).Bf16 : null;
            bool roundInput = x == null;
            if (roundInput) x = _right.Get((long)n * C);
            int first = r0;
            Parallelism.For(n, 4, (start, end) =>
            {
                // One fp32 row at a time into a per-worker buffer that stays in cache, rounded straight into dY's bf16 row.
                float* row = (float*)NativeMemory.AlignedAlloc((nuint)OC * sizeof(float), 64);
                try
                {
                    for (int j = start; j < end; j++)
                    {
                        int r = first + j;
                        writeRow(r, row);
                        Bf16.FromFloat(row, dy + (long)j * ld, OC);
                        if (!roundInput) continue;
                        long source = (long)(inputRows is null ? r : inputRows[r]) * C;
                        if (roundedRows != null) Buffer.MemoryCopy(roundedRows + source, x + (long)j * C, C * sizeof(ushort), C * sizeof(ushort));
                        else Bf16.FromFloat(input.Values + source, x + (long)j * C, C);
                    }
                }
                finally { NativeMemory.AlignedFree(row); }
            });
            Products(dInput + (long)r0 * C, 0f, dWeight, dy, ld, x, weight, w, n, C, OC);
        }
        return true;
    }

    /// <summary>
    /// Rows per product when dY needs its own buffer: at most <see cref="MaxChunkRowElements"/> elements, in equal chunks
    /// rounded up to a multiple of 64 rows. oneDNN 2.6's bf16 matmul primitive (before products went to its jit GEMM) ran
    /// the head's dX at ~60% of its usual rate with 1,334 rows and at full rate with 1,024, 1,025 and 2,048 (d6, one
    /// sitting); equal chunks cost nothing, so they stay.
    /// </summary>
    private static int ChunkRows(int rows, int columns)
    {
        int max = (int)Math.Max(64, MaxChunkRowElements / columns / 64 * 64);
        int chunks = (rows + max - 1) / max;
        return Math.Min(rows, ((rows + chunks - 1) / chunks + 63) / 64 * 64);
    }

    /// <summary>
    /// The bf16 copy of a weight matrix: its shadow (the parameter block's mirror, which the owner keeps current), or, for
    /// a weight without one, a rounding into scratch.
    /// </summary>
    private ushort* Weight(Operand weight, long count)
    {
        if (weight.Bf16 != null) return weight.Bf16;
        ushort* tmp = _weightScratch.Get(count);
        Bf16.FromFloat(weight.Values, count, tmp, 1, checked((int)count));
        return tmp;
    }

    public override void Dispose()
    {
        _left.Dispose(); _right.Dispose(); _weightScratch.Dispose();
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
