using Eslm.Model;
using Eslm.Native;
using Eslm.Ops;
using Eslm.Tensors;
using static Eslm.Model.ParameterLayout;

namespace Eslm.Sampling;

/// <summary>How the next token is drawn from the logits.</summary>
/// <param name="Temperature">0 = greedy (argmax); otherwise logits are divided by it before the softmax.</param>
/// <param name="TopK">Keep only the K most likely tokens, and any tied with the K-th (0 = all).</param>
public sealed record SamplingOptions(float Temperature = 1f, int TopK = 0)
{
    public SamplingOptions Validated()
    {
        if (!(Temperature >= 0) || float.IsInfinity(Temperature)) throw new ArgumentException($"temperature must be a finite number >= 0 (got {Temperature})");
        if (TopK < 0) throw new ArgumentException($"top-k must be >= 0 (got {TopK})");
        return this;
    }
}

/// <summary>
/// Autoregressive inference for one sequence with a key/value cache. It reuses the model's parameters and the same ops
/// as <see cref="Gpt.Forward"/> (LayerNorm, GELU, and the linear layers and head on the model's fp32 or bf16 backend), but attention for new positions reads the
/// cached keys and values of all earlier positions, so each new token costs one row of work instead of a full forward.
/// <see cref="Feed"/> takes any number of new tokens at once (the prompt in one go, then one token per step).
/// When the context is full, <see cref="Generate"/> re-primes the cache with the last maxT tokens (nanoGPT's crop).
/// </summary>
public sealed unsafe class Sampler : IDisposable
{
    private readonly Gpt _model;
    private readonly TensorBlock _buf;
    private readonly Buffers _b;
    private readonly float[] _lastLogits;

    /// <summary>Typed pointers into <see cref="_buf"/>, resolved once (the layout's names stay its keys).</summary>
    private readonly struct Buffers(TensorBlock b)
    {
        public readonly float* KCache = b.Pointer("k_cache"), VCache = b.Pointer("v_cache"), X = b.Pointer("x"), Ln = b.Pointer("ln"),
            Mean = b.Pointer("mean"), Rstd = b.Pointer("rstd"), Qkv = b.Pointer("qkv"), Atty = b.Pointer("atty"), Fch = b.Pointer("fch"),
            FchGelu = b.Pointer("fch_gelu"), Scores = b.Pointer("scores"), Logits = b.Pointer("logits");
    }

    public Sampler(Gpt model)
    {
        _model = model;
        var c = model.Config;
        int T = c.MaxSequenceLength, C = c.C, L = c.L;
        _buf = new TensorBlock(
        [
            new("k_cache", L, T, C), new("v_cache", L, T, C),
            new("x", T, C), new("ln", T, C), new("mean", T), new("rstd", T), new("qkv", T, 3 * C), new("atty", T, C),
            new("fch", T, 4 * C), new("fch_gelu", T, 4 * C), new("scores", T, T), new("logits", 1, c.Vp),
        ]);
        _b = new Buffers(_buf);
        _lastLogits = new float[c.VocabSize];
    }

    public GptConfig Config => _model.Config;

    /// <summary>Number of positions in the cache.</summary>
    public int Position { get; private set; }

    /// <summary>Empties the cache (the next token fed is at position 0).</summary>
    public void Reset() => Position = 0;

    /// <summary>
    /// Runs <paramref name="tokens"/> at the next positions and returns the logits (real vocabulary V) that predict the
    /// token after the last one. The span is valid until the next call.
    /// </summary>
    public ReadOnlySpan<float> Feed(scoped ReadOnlySpan<int> tokens)
    {
        Run(tokens, default);
        return _lastLogits;
    }

    /// <summary>Like <see cref="Feed"/>, and writes the logits of every fed position into <paramref name="logits"/> [n, V].</summary>
    public void Feed(ReadOnlySpan<int> tokens, Span<float> logits)
    {
        if (logits.Length != tokens.Length * Config.VocabSize)
            throw new ArgumentException($"logits must hold {tokens.Length}×{Config.VocabSize} floats (got {logits.Length})");
        Run(tokens, logits);
    }

    private void Run(ReadOnlySpan<int> tokens, Span<float> allLogits)
    {
        var cfg = Config;
        int n = tokens.Length, pos = Position, C = cfg.C, NH = cfg.NH, HS = C / NH, V = cfg.VocabSize, Vp = cfg.Vp, maxT = cfg.MaxSequenceLength;
        if (n == 0) throw new ArgumentException("no tokens to feed");
        if (pos + n > maxT) throw new ArgumentException($"{pos} cached + {n} new tokens exceed the model's context of {maxT}");
        foreach (int t in tokens)
            if ((uint)t >= (uint)V) throw new ArgumentException($"token id {t} is outside the vocabulary [0, {V})");
        OpenBlas.EnsureInitialized();
        var p = _model.Parameters;
        var b = _b;
        float* x = b.X, ln = b.Ln, mean = b.Mean, rstd = b.Rstd, qkv = b.Qkv, atty = b.Atty, fch = b.Fch, fchGelu = b.FchGelu, scores = b.Scores;
        float* wte = p.Pointer(Wte), wpe = p.Pointer(Wpe);

        // x = wte[token] + wpe[position]
        for (int i = 0; i < n; i++)
        {
            float* row = x + (long)i * C, e = wte + (long)tokens[i] * C, q = wpe + (long)(pos + i) * C;
            for (int c = 0; c < C; c++) row[c] = e[c] + q[c];
        }

        float scale = 1f / MathF.Sqrt(HS);
        int keys = pos + n;
        var gemm = _model.Gemm;   // the model's precision: fp32 SGEMM, or bf16 operands for the linear layers and the head
        p.Bf16Mirror?.Refresh();  // bf16: the weights' rounded copies (the layer weights' and head's operands) match the weights
        for (int l = 0; l < cfg.L; l++)
        {
            var w = _model.LayerWeights(l);
            float* kCache = b.KCache + (long)l * maxT * C, vCache = b.VCache + (long)l * maxT * C;
            LayerNorm.Forward(ln, mean, rstd, x, w.Ln1W, w.Ln1B, n, C);
            MatMul.Forward(qkv, ln, w.QkvWeight, w.QkvB, n, C, 3 * C, gemm: gemm);
            for (int i = 0; i < n; i++)
            {
                float* src = qkv + (long)i * 3 * C;
                new ReadOnlySpan<float>(src + C, C).CopyTo(new Span<float>(kCache + (long)(pos + i) * C, C));
                new ReadOnlySpan<float>(src + 2 * C, C).CopyTo(new Span<float>(vCache + (long)(pos + i) * C, C));
            }
            for (int h = 0; h < NH; h++)
            {
                // scores[i, j] = q_i · k_j / √HS over all cached keys; row i sees keys j ≤ pos + i.
                OpenBlas.Sgemm(false, true, n, keys, HS, scale, qkv + h * HS, 3 * C, kCache + h * HS, C, 0f, scores, keys);
                for (int i = 0; i < n; i++) CausalSoftmax(scores + (long)i * keys, pos + i + 1, keys);
                OpenBlas.Sgemm(false, false, n, HS, keys, 1f, scores, keys, vCache + h * HS, C, 0f, atty + h * HS, C);
            }
            MatMul.Forward(x, atty, w.AttProjWeight, w.AttProjB, n, C, C, accumulate: true, gemm: gemm);
            LayerNorm.Forward(ln, mean, rstd, x, w.Ln2W, w.Ln2B, n, C);
            MatMul.Forward(fch, ln, w.FcWeight, w.FcB, n, C, 4 * C, gemm: gemm);
            Gelu.Forward(fchGelu, fch, (long)n * 4 * C);
            MatMul.Forward(x, fchGelu, w.FcProjWeight, w.FcProjB, n, 4 * C, C, accumulate: true, gemm: gemm);
        }
        Position = pos + n;

        LayerNorm.Forward(ln, mean, rstd, x, p.Pointer(LnfW), p.Pointer(LnfB), n, C);
        float* logits = b.Logits;
        var head = _model.HeadWeight;
        int first = allLogits.IsEmpty ? n - 1 : 0;
        for (int i = first; i < n; i++)
        {
            // logits = lnf · wteᵀ (tied head); padded columns are computed but never read.
            gemm.LinearForward(logits, ln + (long)i * C, head, 1, C, Vp, 0f);
            var row = new ReadOnlySpan<float>(logits, V);
            if (!allLogits.IsEmpty) row.CopyTo(allLogits.Slice(i * V, V));
            if (i == n - 1) row.CopyTo(_lastLogits);
        }
    }

    private static void CausalSoftmax(float* row, int visible, int width)
    {
        var span = new Span<float>(row, visible);
        float max = System.Numerics.Tensors.TensorPrimitives.Max((ReadOnlySpan<float>)span);
        float sum = 0;
        for (int j = 0; j < visible; j++) { float e = MathF.Exp(row[j] - max); row[j] = e; sum += e; }
        System.Numerics.Tensors.TensorPrimitives.Multiply(span, 1f / sum, span);
        new Span<float>(row + visible, width - visible).Clear();
    }

    /// <summary>
    /// Draws the next token from <paramref name="logits"/> [V]: argmax when the temperature is 0 (lowest id on ties),
    /// else softmax(logits / T) restricted to the top-k, sampled with one uniform draw from <paramref name="rng"/>.
    /// </summary>
    public static int SampleToken(ReadOnlySpan<float> logits, SamplingOptions options, Rng rng)
    {
        int V = logits.Length;
        if (options.Temperature == 0f)
        {
            int best = 0;
            for (int v = 1; v < V; v++) if (logits[v] > logits[best]) best = v;
            return best;
        }
        float threshold = float.NegativeInfinity;
        int k = options.TopK;
        if (k > 0 && k < V)
        {
            // k-th largest value via a min-heap of size k.
            var heap = new PriorityQueue<int, float>(k);
            for (int v = 0; v < V; v++)
            {
                if (heap.Count < k) heap.Enqueue(v, logits[v]);
                else if (logits[v] > logits[heap.Peek()]) heap.EnqueueDequeue(v, logits[v]);
            }
            threshold = logits[heap.Peek()];
        }
        float max = float.NegativeInfinity;
        for (int v = 0; v < V; v++) if (logits[v] > max) max = logits[v];
        double invT = 1.0 / options.Temperature, sum = 0;
        var probs = new double[V];
        for (int v = 0; v < V; v++)
        {
            // Ties with the k-th largest stay, as nanoGPT's and Hugging Face's top-k (logits < k-th value are dropped).
            if (logits[v] < threshold) continue;
            probs[v] = Math.Exp((logits[v] - max) * invT);
            sum += probs[v];
        }
        double u = rng.NextDouble() * sum, acc = 0;
        int last = 0;
        for (int v = 0; v < V; v++)
        {
            if (probs[v] == 0) continue;
            acc += probs[v];
            last = v;
            if (u < acc) return v;
        }
        return last;
    }

    /// <summary>
    /// Generates up to <paramref name="maxNewTokens"/> tokens after <paramref name="prompt"/>, calling
    /// <paramref name="onToken"/> for each; stops early after <paramref name="stopToken"/> when given.
    /// Returns the new tokens. The cache is reset first.
    /// </summary>
    public List<int> Generate(ReadOnlySpan<int> prompt, int maxNewTokens, SamplingOptions options, Rng rng,
        Action<int>? onToken = null, int? stopToken = null)
    {
        options.Validated();
        if (prompt.IsEmpty) throw new ArgumentException("the prompt must hold at least one token");
        if (maxNewTokens < 0) throw new ArgumentException($"max new tokens must be >= 0 (got {maxNewTokens})");
        int maxT = Config.MaxSequenceLength;
        var all = new List<int>(prompt.ToArray());
        var generated = new List<int>();
        Reset();
        var context = prompt.Length > maxT ? prompt[^maxT..] : prompt;
        ReadOnlySpan<float> logits = Feed(context);
        for (int i = 0; i < maxNewTokens; i++)
        {
            int next = SampleToken(logits, options, rng);
            generated.Add(next); all.Add(next);
            onToken?.Invoke(next);
            if (next == stopToken || i == maxNewTokens - 1) break;
            if (Position < maxT) logits = Feed([next]);
            else
            {
                Reset();
                logits = Feed(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(all)[^maxT..]);
            }
        }
        return generated;
    }

    public void Dispose() => _buf.Dispose();
}
