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
internal sealed unsafe class Bf16Gemm : GemmBackend, IBf16Mirror
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

    private readonly TensorBlock? _parameters;
    private ushort* _mirror;                  // bf16 copy of the whole parameter block (allocated on first use)
    private long _mirrorVersion = -1;         // parameter version the whole mirror matches (written by the optimizer)
    private long _mirrorWritten;              // values the optimizer has written into the mirror in its current pass
    private readonly Dictionary<(nint Start, long Count), long> _roundedAt = new(); // matrix → version it was last rounded at
    private readonly Scratch _left = new(), _right = new(), _weightScratch = new();
    private readonly Dictionary<nint, ForwardInput> _forwardInputs = new();
    private long _forward;

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
        ushort* x = KeepInput(input, rows, C);
        Bf16.FromFloat(input, C, x, rows, C);
        OneDnn.Matmul(OneDnn.DataType.Bf16, false, true, rows, OC, C, 1f, x, C, w, C, beta, output, OC);
    }

    public override void BeginForward() => _forward++;

    /// <summary>
    /// Where the forward rounds an input: a buffer kept per input pointer (the model's activations), stamped with the
    /// current forward, so the backward's dW reuses the same bf16 rows instead of rounding them again.
    /// </summary>
    private ushort* KeepInput(float* input, int rows, int columns)
    {
        if (!_forwardInputs.TryGetValue((nint)input, out var k)) _forwardInputs[(nint)input] = k = new ForwardInput();
        k.Rows = rows; k.Columns = columns; k.Forward = _forward;
        return k.Buffer.Get((long)rows * columns);
    }

    /// <summary>
    /// The bf16 rows [input, input + rows·columns) rounded by the current forward, or null: the forward kept a block of the
    /// same width that contains them (the backward may start at a row range's first row).
    /// </summary>
    private ushort* RoundedByForward(float* input, int rows, int columns)
    {
        foreach (var (start, k) in _forwardInputs)
        {
            if (k.Forward != _forward || k.Columns != columns) continue;
            long offset = input - (float*)start;
            if (offset < 0 || offset % columns != 0 || offset / columns + rows > k.Rows) continue;
            return k.Buffer.Get(0) + offset;
        }
        return null;
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
            ushort* x = RoundedByForward(input + (long)r0 * C, n, C);
            if (x == null)
            {
                x = _right.Get((long)n * C);
                Bf16.FromFloat(input + (long)r0 * C, C, x, n, C);
            }
            Products(dInput == null ? null : dInput + (long)r0 * C, dInputBeta, dWeight, dy, OC, x, w, n, C, OC);
        }
    }

    public override void LinearBackwardGathered(float* dInput, float* dWeight, float* dOutput, float* input, int[] rows, int count,
        float* weight, int inChannels, int outChannels, float* gatherScratch)
    {
        int C = inChannels, OC = outChannels;
        // The forward rounded every row of this input: gather the kept rows' bf16 copies (2 bytes a value, not 4 + a rounding pass).
        ushort* rounded = count < MinBf16K || OC < MinBf16K || count > MaxChunkElements / OC ? null
            : RoundedByForward(input, MaxRow(rows, count) + 1, C);
        if (rounded == null)
        {
            base.LinearBackwardGathered(dInput, dWeight, dOutput, input, rows, count, weight, C, OC, gatherScratch);
            return;
        }
        ushort* x = _right.Get((long)count * C), dy = _left.Get((long)count * OC);
        RowGather.Gather(x, rounded, rows, count, C);
        Bf16.FromFloat(dOutput, OC, dy, count, OC);
        Products(dInput, 0f, dWeight, dy, OC, x, Weight(weight, (long)OC * C), count, C, OC);
    }

    /// <summary>
    /// The backward pair on bf16 operands: dInput[n, C] = dy·w + beta·dInput (skipped when dInput is null), then
    /// dWeight[OC, C] += dyᵀ·x; dy is [n, OC] with row stride <paramref name="ldDy"/>, x is [n, C].
    /// </summary>
    private static void Products(float* dInput, float dInputBeta, float* dWeight, ushort* dy, int ldDy, ushort* x, ushort* w, int n, int C, int OC)
    {
        if (dInput != null)
            OneDnn.Matmul(OneDnn.DataType.Bf16, false, false, n, C, OC, 1f, dy, ldDy, w, C, dInputBeta, dInput, C);
        OneDnn.Matmul(OneDnn.DataType.Bf16, true, false, OC, C, n, 1f, dy, ldDy, x, C, 1f, dWeight, C);
    }

    public override bool TryLinearBackwardFromRows(float* dInput, float* dWeight, float* weight, float* input, int[]? inputRows,
        int rows, int inChannels, int outChannels, GradientRowWriter writeRow, float* reusableRows)
    {
        int C = inChannels, OC = outChannels;
        if (rows < MinBf16K || OC < MinBf16K || C < MinBf16K) return false;
        ushort* w = Weight(weight, (long)OC * C);
        // In place: bf16 row j goes to the first half of fp32 row j of the caller's buffer (free once row j is written),
        // so dY takes no memory of its own; its leading dimension is then 2·OC bf16 values.
        bool inPlace = reusableRows != null;
        int chunk = inPlace ? rows : ChunkRows(rows, OC);
        int ld = inPlace ? checked(2 * OC) : OC;
        // The forward rounded the head's input (lnf): the dense head reads those rows in place, kept rows copy theirs.
        ushort* roundedRows = inputRows is null ? null : RoundedByForward(input, MaxRow(inputRows, rows) + 1, C);
        for (int r0 = 0; r0 < rows; r0 += chunk)
        {
            int n = Math.Min(chunk, rows - r0);
            ushort* dy = inPlace ? (ushort*)(reusableRows + (long)r0 * OC) : _left.Get((long)n * OC);
            ushort* x = inputRows is null ? RoundedByForward(input + (long)r0 * C, n, C) : null;
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
                        else Bf16.FromFloat(input + source, x + (long)j * C, C);
                    }
                }
                finally { NativeMemory.AlignedFree(row); }
            });
            Products(dInput + (long)r0 * C, 0f, dWeight, dy, ld, x, w, n, C, OC);
        }
        return true;
    }

    private static int MaxRow(int[] rows, int count)
    {
        int max = 0;
        for (int j = 0; j < count; j++) max = Math.Max(max, rows[j]);
        return max;
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
    /// The bf16 copy of a weight matrix. Matrices in the parameter block live in one bf16 mirror of the whole block; a
    /// matrix is rounded into it the first time it is used after the block's version moved, unless the optimizer already
    /// wrote the whole mirror with the update (<see cref="IBf16Mirror"/>). Other matrices are rounded into scratch.
    /// </summary>
    private ushort* Weight(float* weight, long count)
    {
        var p = _parameters;
        if (p is null || weight < p.Data || weight + count > p.Data + p.Count)
        {
            ushort* tmp = _weightScratch.Get(count);
            Bf16.FromFloat(weight, count, tmp, 1, checked((int)count));
            return tmp;
        }
        if (_mirror == null) _mirror = (ushort*)NativeMemory.AlignedAlloc((nuint)(p.Count * sizeof(ushort)), 64);
        ushort* copy = _mirror + (weight - p.Data);
        if (_mirrorVersion == p.Version) return copy;
        var key = ((nint)weight, count);
        if (!_roundedAt.TryGetValue(key, out long version) || version != p.Version)
        {
            Bf16.FromFloat(weight, count, copy, 1, checked((int)count));
            _roundedAt[key] = p.Version;
        }
        return copy;
    }

    public ushort* MirrorOf(float* tensor, long count)
    {
        var p = _parameters;
        if (_mirror == null || p is null || tensor < p.Data || tensor + count > p.Data + p.Count) return null;
        _mirrorWritten += count;
        return _mirror + (tensor - p.Data);
    }

    public void MirrorsWritten(TensorBlock parameters)
    {
        // Only a pass that wrote every tensor makes the whole mirror current.
        if (parameters == _parameters && _mirrorWritten >= parameters.Specs.Sum(s => s.Count)) _mirrorVersion = parameters.Version;
        _mirrorWritten = 0;
    }

    public override void Dispose()
    {
        if (_mirror != null) NativeMemory.AlignedFree(_mirror);
        _mirror = null; _mirrorVersion = -1;
        _roundedAt.Clear();
        _left.Dispose(); _right.Dispose(); _weightScratch.Dispose();
        foreach (var k in _forwardInputs.Values) k.Buffer.Dispose();
        _forwardInputs.Clear();
    }

    private sealed class ForwardInput
    {
        public Scratch Buffer { get; } = new();
        public int Rows, Columns;
        public long Forward = -1;
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
