using Eslm.Model;

namespace Eslm.Tests.Reference;

/// <summary>
/// A whole GPT-2 in double, composed of <see cref="RefOps"/>: token + position embedding, L pre-LayerNorm blocks
/// (causal attention, tanh-GELU MLP, both added to the residual stream), final LayerNorm, LM head tied to wte over the
/// padded vocabulary, cross-entropy over the real vocabulary. Parameters are one flat array in Eslm's
/// <see cref="ParameterLayout"/> order (the same order the PyTorch fixtures use), so offsets and gradients line up.
/// </summary>
public sealed class RefGpt
{
    private readonly Dictionary<string, (int Offset, int[] Shape)> _tensors = new();

    public RefGpt(GptConfig config, double[] parameters)
    {
        Config = config;
        Parameters = parameters;
        int offset = 0;
        foreach (var spec in ParameterLayout.For(config))
        {
            _tensors[spec.Name] = (offset, spec.Shape);
            offset += (int)spec.Count;
        }
        if (offset != parameters.Length) throw new ArgumentException($"expected {offset} parameters, got {parameters.Length}");
    }

    public GptConfig Config { get; }
    public double[] Parameters { get; }

    /// <summary>Offset and length of a named tensor in the flat array.</summary>
    public (int Offset, int Count) Range(string name)
    {
        var (o, shape) = _tensors[name];
        return (o, shape.Aggregate(1, (a, d) => a * d));
    }

    /// <summary>Slice of a tensor; for per-layer tensors (leading dimension L) the l-th layer's slice.</summary>
    private double[] Get(double[] flat, string name, int layer = -1)
    {
        var (o, count) = Range(name);
        if (layer >= 0) { count /= Config.L; o += layer * count; }
        return flat.AsSpan(o, count).ToArray();
    }

    private void AddTo(double[] flat, string name, int layer, double[] values)
    {
        var (o, count) = Range(name);
        if (layer >= 0) { count /= Config.L; o += layer * count; }
        for (int i = 0; i < count; i++) flat[o + i] += values[i];
    }

    private sealed class LayerCache
    {
        public double[] Input = [], Ln1 = [], Qkv = [], Atty = [], Residual2 = [], Ln2 = [], Fch = [], FchGelu = [];
    }

    private sealed class Cache
    {
        public int[] Inputs = [], Targets = [];
        public int B, T;
        public List<LayerCache> Layers = new();
        public double[] Final = [], Lnf = [], Logits = [];
    }

    /// <summary>Per-token losses [B·T]; also gives padded logits [B·T,Vp] and per-token entropies.</summary>
    public double[] Forward(int[] inputs, int[] targets, int B, int T, out double[] logits, out double[] entropy) =>
        Run(inputs, targets, B, T, out logits, out entropy, out _);

    public double[] Forward(int[] inputs, int[] targets, int B, int T) => Forward(inputs, targets, B, T, out _, out _);

    /// <summary>Σ_i dLosses[i]·loss_i.</summary>
    public double Objective(int[] inputs, int[] targets, int B, int T, double[] dLosses) =>
        FiniteDifference.Dot(dLosses, Forward(inputs, targets, B, T));

    /// <summary>Each layer's qkv activations [B·T, 3C] of a forward (to freeze dropped tokens' keys and values).</summary>
    public double[][] LayerQkv(int[] inputs, int[] targets, int B, int T)
    {
        Run(inputs, targets, B, T, out _, out _, out var cache);
        return cache.Layers.Select(l => l.Qkv).ToArray();
    }

    /// <summary>
    /// Σ_i dLosses[i]·loss_i where, in every layer, the keys and values of the tokens with dLosses[i] = 0 are replaced by
    /// constants (<paramref name="frozenQkv"/>, from <see cref="LayerQkv"/>). Its gradient at the point the constants came
    /// from is what <see cref="BackwardMode.KeptRows"/> computes.
    /// </summary>
    public double ObjectiveWithFrozenDroppedKeysValues(int[] inputs, int[] targets, int B, int T, double[] dLosses, double[][] frozenQkv) =>
        FiniteDifference.Dot(dLosses, Run(inputs, targets, B, T, out _, out _, out _, (dLosses, frozenQkv)));

    private double[] Run(int[] inputs, int[] targets, int B, int T, out double[] logits, out double[] entropy, out Cache cache,
        (double[] Weights, double[][] Qkv)? frozenDropped = null)
    {
        var cfg = Config;
        int L = cfg.L, C = cfg.C, NH = cfg.NH, V = cfg.VocabSize, Vp = cfg.Vp, BT = B * T;
        var p = Parameters;
        cache = new Cache { Inputs = inputs, Targets = targets, B = B, T = T };
        var x = RefOps.EncoderForward(inputs, Get(p, ParameterLayout.Wte), Get(p, ParameterLayout.Wpe), B, T, C);
        for (int l = 0; l < L; l++)
        {
            var lc = new LayerCache { Input = x };
            lc.Ln1 = RefOps.LayerNormForward(x, Get(p, ParameterLayout.Ln1W, l), Get(p, ParameterLayout.Ln1B, l), BT, C);
            lc.Qkv = RefOps.LinearForward(lc.Ln1, Get(p, ParameterLayout.QkvW, l), Get(p, ParameterLayout.QkvB, l), BT, C, 3 * C);
            if (frozenDropped is var (weights, frozen))
                for (int i = 0; i < BT; i++)
                    if (weights[i] == 0) Array.Copy(frozen[l], i * 3 * C + C, lc.Qkv, i * 3 * C + C, 2 * C);
            lc.Atty = RefOps.AttentionForward(lc.Qkv, B, T, C, NH, out _);
            lc.Residual2 = Numerics.Add(x, RefOps.LinearForward(lc.Atty, Get(p, ParameterLayout.AttProjW, l), Get(p, ParameterLayout.AttProjB, l), BT, C, C));
            lc.Ln2 = RefOps.LayerNormForward(lc.Residual2, Get(p, ParameterLayout.Ln2W, l), Get(p, ParameterLayout.Ln2B, l), BT, C);
            lc.Fch = RefOps.LinearForward(lc.Ln2, Get(p, ParameterLayout.FcW, l), Get(p, ParameterLayout.FcB, l), BT, C, 4 * C);
            lc.FchGelu = RefOps.GeluForward(lc.Fch);
            x = Numerics.Add(lc.Residual2, RefOps.LinearForward(lc.FchGelu, Get(p, ParameterLayout.FcProjW, l), Get(p, ParameterLayout.FcProjB, l), BT, 4 * C, C));
            cache.Layers.Add(lc);
        }
        cache.Final = x;
        cache.Lnf = RefOps.LayerNormForward(x, Get(p, ParameterLayout.LnfW), Get(p, ParameterLayout.LnfB), BT, C);
        cache.Logits = logits = RefOps.LinearForward(cache.Lnf, Get(p, ParameterLayout.Wte), null, BT, C, Vp);
        return RefOps.CrossEntropyForward(logits, targets, BT, V, Vp, out entropy, out _);
    }

    /// <summary>
    /// Gradient of Σ_i dLosses[i]·loss_i with respect to every parameter (flat, layout order), by the chain rule.
    /// <paramref name="detachDroppedKeysValues"/>: the keys and values of tokens with weight 0 are constants (no gradient
    /// flows through them), the semantics of <see cref="BackwardMode.KeptRows"/>.
    /// </summary>
    public double[] Gradient(int[] inputs, int[] targets, int B, int T, double[] dLosses, bool detachDroppedKeysValues = false)
    {
        var cfg = Config;
        int L = cfg.L, C = cfg.C, NH = cfg.NH, V = cfg.VocabSize, Vp = cfg.Vp, BT = B * T;
        var p = Parameters;
        Run(inputs, targets, B, T, out _, out _, out var cache);
        var g = new double[p.Length];

        var dLogits = new double[BT * Vp];
        RefOps.CrossEntropyBackward(dLogits, cache.Logits, targets, dLosses, BT, V, Vp);
        var dLnf = new double[BT * C];
        var dWte = new double[Vp * C];
        RefOps.LinearBackward(dLnf, dWte, null, dLogits, cache.Lnf, Get(p, ParameterLayout.Wte), BT, C, Vp);
        AddTo(g, ParameterLayout.Wte, -1, dWte);

        var dx = new double[BT * C];
        var dw = new double[C]; var db = new double[C];
        RefOps.LayerNormBackward(dx, dw, db, dLnf, cache.Final, Get(p, ParameterLayout.LnfW), BT, C);
        AddTo(g, ParameterLayout.LnfW, -1, dw); AddTo(g, ParameterLayout.LnfB, -1, db);

        for (int l = L - 1; l >= 0; l--)
        {
            var lc = cache.Layers[l];
            // x3 = x2 + fcproj(gelu(fc(ln2(x2)))): dx flows to x2 unchanged plus through the MLP.
            var dGelu = new double[BT * 4 * C];
            var dW = new double[C * 4 * C]; var dB = new double[C];
            RefOps.LinearBackward(dGelu, dW, dB, dx, lc.FchGelu, Get(p, ParameterLayout.FcProjW, l), BT, 4 * C, C);
            AddTo(g, ParameterLayout.FcProjW, l, dW); AddTo(g, ParameterLayout.FcProjB, l, dB);
            var dFch = new double[BT * 4 * C];
            RefOps.GeluBackward(dFch, lc.Fch, dGelu);
            var dLn2 = new double[BT * C];
            dW = new double[4 * C * C]; dB = new double[4 * C];
            RefOps.LinearBackward(dLn2, dW, dB, dFch, lc.Ln2, Get(p, ParameterLayout.FcW, l), BT, C, 4 * C);
            AddTo(g, ParameterLayout.FcW, l, dW); AddTo(g, ParameterLayout.FcB, l, dB);
            dw = new double[C]; db = new double[C];
            RefOps.LayerNormBackward(dx, dw, db, dLn2, lc.Residual2, Get(p, ParameterLayout.Ln2W, l), BT, C);
            AddTo(g, ParameterLayout.Ln2W, l, dw); AddTo(g, ParameterLayout.Ln2B, l, db);

            // x2 = x + attproj(attention(qkv(ln1(x)))).
            var dAtty = new double[BT * C];
            dW = new double[C * C]; dB = new double[C];
            RefOps.LinearBackward(dAtty, dW, dB, dx, lc.Atty, Get(p, ParameterLayout.AttProjW, l), BT, C, C);
            AddTo(g, ParameterLayout.AttProjW, l, dW); AddTo(g, ParameterLayout.AttProjB, l, dB);
            var dQkv = new double[BT * 3 * C];
            RefOps.AttentionBackward(dQkv, dAtty, lc.Qkv, B, T, C, NH);
            if (detachDroppedKeysValues)
                for (int i = 0; i < BT; i++)
                    if (dLosses[i] == 0) Array.Clear(dQkv, i * 3 * C + C, 2 * C);
            var dLn1 = new double[BT * C];
            dW = new double[3 * C * C]; dB = new double[3 * C];
            RefOps.LinearBackward(dLn1, dW, dB, dQkv, lc.Ln1, Get(p, ParameterLayout.QkvW, l), BT, C, 3 * C);
            AddTo(g, ParameterLayout.QkvW, l, dW); AddTo(g, ParameterLayout.QkvB, l, dB);
            dw = new double[C]; db = new double[C];
            RefOps.LayerNormBackward(dx, dw, db, dLn1, lc.Input, Get(p, ParameterLayout.Ln1W, l), BT, C);
            AddTo(g, ParameterLayout.Ln1W, l, dw); AddTo(g, ParameterLayout.Ln1B, l, db);
        }
        dWte = new double[Vp * C];
        var dWpe = new double[cfg.MaxSequenceLength * C];
        RefOps.EncoderBackward(dWte, dWpe, dx, inputs, B, T, C);
        AddTo(g, ParameterLayout.Wte, -1, dWte); AddTo(g, ParameterLayout.Wpe, -1, dWpe);
        return g;
    }
}
