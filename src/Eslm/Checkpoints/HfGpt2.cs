using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Eslm.Model;
using Eslm.Tensors;
using static Eslm.Model.ParameterLayout;
using Eslm.IO;

namespace Eslm.Checkpoints;

/// <summary>
/// Hugging Face GPT-2 tensor names ↔ Eslm's parameter layout. HF stores the linear layers as Conv1D with weights
/// [in, out]; Eslm (like nn.Linear and llm.c) stores [out, in], so those four weights per layer are transposed on the
/// way in and out. wte is stored with the real vocabulary V rows (HF's shape); if the padded rows Vp − V of a block are
/// not all zero they go to an extra tensor <see cref="WtePaddingName"/> so nothing is lost. Biases, LayerNorms and the
/// embeddings map one to one. Eslm's own weights files use exactly these names (no prefix) with
/// <c>__metadata__ {"format": "pt", n_layer, n_head, n_embd, n_positions, vocab_size, eslm.padded_vocab_size}</c>,
/// so Hugging Face tools read them as a GPT2Model checkpoint.
/// </summary>
public static class HfGpt2
{
    public const string TransformerPrefix = "transformer.";
    public const string WtePaddingName = "eslm.wte_padding";

    /// <summary>HF buffers that are not parameters: ignored on load.</summary>
    private static bool IsIgnoredBuffer(string name) => name.EndsWith(".attn.bias", StringComparison.Ordinal) ||
                                                         name.EndsWith(".attn.masked_bias", StringComparison.Ordinal);

    /// <summary>One HF tensor: where it lives in the Eslm block and whether it is a transposed Conv1D weight.</summary>
    public sealed record Entry(string HfName, string EslmTensor, int Layer, bool Transposed, int[] HfShape)
    {
        public long Count { get { long n = 1; foreach (int d in HfShape) n *= d; return n; } }
    }

    /// <summary>All HF tensors of a model in HF's usual order (embeddings, then layer by layer, then ln_f), without prefix.</summary>
    public static IReadOnlyList<Entry> Entries(GptConfig config)
    {
        int L = config.L, C = config.C;
        var list = new List<Entry>
        {
            new("wte.weight", Wte, -1, false, [config.VocabSize, C]),
            new("wpe.weight", Wpe, -1, false, [config.MaxSequenceLength, C]),
        };
        for (int l = 0; l < L; l++)
        {
            string h = $"h.{l}.";
            list.Add(new(h + "ln_1.weight", Ln1W, l, false, [C]));
            list.Add(new(h + "ln_1.bias", Ln1B, l, false, [C]));
            list.Add(new(h + "attn.c_attn.weight", QkvW, l, true, [C, 3 * C]));
            list.Add(new(h + "attn.c_attn.bias", QkvB, l, false, [3 * C]));
            list.Add(new(h + "attn.c_proj.weight", AttProjW, l, true, [C, C]));
            list.Add(new(h + "attn.c_proj.bias", AttProjB, l, false, [C]));
            list.Add(new(h + "ln_2.weight", Ln2W, l, false, [C]));
            list.Add(new(h + "ln_2.bias", Ln2B, l, false, [C]));
            list.Add(new(h + "mlp.c_fc.weight", FcW, l, true, [C, 4 * C]));
            list.Add(new(h + "mlp.c_fc.bias", FcB, l, false, [4 * C]));
            list.Add(new(h + "mlp.c_proj.weight", FcProjW, l, true, [4 * C, C]));
            list.Add(new(h + "mlp.c_proj.bias", FcProjB, l, false, [C]));
        }
        list.Add(new("ln_f.weight", LnfW, -1, false, [C]));
        list.Add(new("ln_f.bias", LnfB, -1, false, [C]));
        return list;
    }

    /// <summary>Metadata Eslm writes into its weights files (string map; "format": "pt" keeps transformers happy).</summary>
    public static Dictionary<string, string> Metadata(GptConfig c) => new()
    {
        ["format"] = "pt",
        ["producer"] = "eslm",
        ["n_layer"] = Str(c.L), ["n_head"] = Str(c.NH), ["n_embd"] = Str(c.C), ["n_positions"] = Str(c.MaxSequenceLength),
        ["vocab_size"] = Str(c.VocabSize), ["eslm.padded_vocab_size"] = Str(c.Vp),
    };

    /// <summary>HF's config.json for a GPT-2 model of this shape (written next to exported weights).</summary>
    public static JsonObject HfConfigJson(GptConfig c) => new()
    {
        ["architectures"] = new JsonArray("GPT2LMHeadModel"), ["model_type"] = "gpt2",
        ["n_layer"] = c.L, ["n_head"] = c.NH, ["n_embd"] = c.C, ["n_positions"] = c.MaxSequenceLength, ["n_ctx"] = c.MaxSequenceLength,
        ["vocab_size"] = c.VocabSize, ["activation_function"] = "gelu_new", ["layer_norm_epsilon"] = 1e-5,
        ["tie_word_embeddings"] = true, ["bos_token_id"] = 50256, ["eos_token_id"] = 50256,
    };

    private static string Str(int x) => x.ToString(CultureInfo.InvariantCulture);

    /// <summary>The names a block is written under (with <paramref name="namePrefix"/>), their HF shapes, plus the padding tensor if needed.</summary>
    public static List<(string Name, int[] Shape)> Declarations(GptConfig config, TensorBlock block, string namePrefix)
    {
        var list = Entries(config).Select(e => (namePrefix + e.HfName, e.HfShape)).ToList();
        if (HasNonZeroPadding(config, block)) list.Add((namePrefix + WtePaddingName, [config.Vp - config.VocabSize, config.C]));
        return list;
    }

    private static bool HasNonZeroPadding(GptConfig config, TensorBlock block)
    {
        var wte = block.Span(Wte);
        return wte[(config.VocabSize * config.C)..].IndexOfAnyExcept(0f) >= 0;
    }

    /// <summary>Writes a parameter-layout block through <paramref name="writer"/> in the order of <see cref="Declarations"/>.</summary>
    public static void WriteBlock(SafetensorsWriter writer, GptConfig config, TensorBlock block, string namePrefix)
    {
        float[]? scratch = null;
        foreach (var e in Entries(config))
        {
            var source = Slice(config, block, e);
            if (!e.Transposed) { writer.Write(source); continue; }
            scratch ??= new float[4 * config.C * config.C];
            var dst = scratch.AsSpan(0, (int)e.Count);
            // Eslm [out, in] → HF [in, out].
            Transpose(source, e.HfShape[1], e.HfShape[0], dst);
            writer.Write(dst);
        }
        if (HasNonZeroPadding(config, block))
            writer.Write(block.Span(Wte)[(config.VocabSize * config.C)..]);
    }

    /// <summary>
    /// Reads the tensors named <paramref name="namePrefix"/> + HF name into a parameter-layout block, checking shapes and
    /// (when <paramref name="checkFinite"/>) that every value is finite. Padded wte rows come from the padding tensor or are zeroed.
    /// </summary>
    public static void ReadBlock(SafetensorsFile file, GptConfig config, TensorBlock block, string namePrefix, bool checkFinite = true)
    {
        float[]? scratch = null;
        foreach (var e in Entries(config))
        {
            var t = file.Get(namePrefix + e.HfName);
            if (!t.Shape.SequenceEqual(e.HfShape))
                throw new InvalidDataException($"{file.Path}: tensor '{t.Name}' has shape {t.ShapeText}, expected [{string.Join(", ", e.HfShape)}] for {config}");
            var dst = Slice(config, block, e);
            if (!e.Transposed) file.ReadFloats(t, dst);
            else
            {
                scratch ??= new float[4 * config.C * config.C];
                var src = scratch.AsSpan(0, (int)e.Count);
                file.ReadFloats(t, src);
                Transpose(src, e.HfShape[0], e.HfShape[1], dst); // HF [in, out] → Eslm [out, in]
            }
            if (checkFinite) CheckFinite(file.Path, t.Name, dst);
        }
        var padding = block.Span(Wte)[(config.VocabSize * config.C)..];
        var pad = file.Find(namePrefix + WtePaddingName);
        if (pad is null) padding.Clear();
        else
        {
            if (pad.ElementCount != padding.Length)
                throw new InvalidDataException($"{file.Path}: tensor '{pad.Name}' has shape {pad.ShapeText}, expected [{config.Vp - config.VocabSize}, {config.C}]");
            file.ReadFloats(pad, padding);
            if (checkFinite) CheckFinite(file.Path, pad.Name, padding);
        }
    }

    internal static void CheckFinite(string path, string tensor, ReadOnlySpan<float> values)
    {
        long i = TensorChecks.IndexOfNonFinite(values);
        if (i >= 0) throw new InvalidDataException($"{path}: tensor '{tensor}' contains {TensorChecks.Describe(values[(int)i], i)}");
    }

    /// <summary>The part of a parameter-layout block one HF tensor covers (wte: the first V rows only).</summary>
    private static Span<float> Slice(GptConfig config, TensorBlock block, Entry e)
    {
        var all = block.Span(e.EslmTensor);
        if (e.Layer < 0) return e.EslmTensor == Wte ? all[..(config.VocabSize * config.C)] : all;
        int per = (int)e.Count;
        return all.Slice(e.Layer * per, per);
    }

    /// <summary>dst[c, r] = src[r, c] for src [rows, cols]; blocked for cache locality.</summary>
    public static unsafe void Transpose(ReadOnlySpan<float> src, int rows, int cols, Span<float> dst)
    {
        if (src.Length != rows * cols || dst.Length != rows * cols) throw new ArgumentException("transpose sizes do not match");
        const int Tile = 64;
        fixed (float* s = src)
        fixed (float* d = dst)
        {
            float* sp = s, dp = d;
            Parallel.For(0, (rows + Tile - 1) / Tile, new ParallelOptions { MaxDegreeOfParallelism = Tensors.Parallelism.Threads }, tile =>
            {
                int r0 = tile * Tile, r1 = Math.Min(rows, r0 + Tile);
                for (int c0 = 0; c0 < cols; c0 += Tile)
                {
                    int c1 = Math.Min(cols, c0 + Tile);
                    for (int r = r0; r < r1; r++)
                    {
                        float* srow = sp + (long)r * cols;
                        for (int c = c0; c < c1; c++) dp[(long)c * rows + r] = srow[c];
                    }
                }
            });
        }
    }

    /// <summary>"transformer." when the file uses GPT2LMHeadModel names, "" for GPT2Model names; error when neither.</summary>
    public static string DetectPrefix(SafetensorsFile file)
    {
        if (file.Contains(TransformerPrefix + "wte.weight")) return TransformerPrefix;
        if (file.Contains("wte.weight")) return "";
        throw new InvalidDataException($"{file.Path}: no 'wte.weight' or 'transformer.wte.weight' tensor: not a GPT-2 model in Hugging Face layout");
    }

    /// <summary>
    /// The model shape of an HF-layout file. L, C, V and the context come from tensor shapes; the head count cannot
    /// (any divisor of C fits the shapes), so it comes from <paramref name="heads"/>, else the file's metadata
    /// (n_head, as Eslm writes), else a config.json next to the file (HF's n_head); otherwise this is an error.
    /// A config.json that disagrees with the shapes is an error too.
    /// </summary>
    public static GptConfig InferConfig(SafetensorsFile file, int? heads = null)
    {
        string p = DetectPrefix(file), path = file.Path;
        var wte = file.Get(p + "wte.weight");
        var wpe = file.Get(p + "wpe.weight");
        if (wte.Shape.Length != 2) throw new InvalidDataException($"{path}: tensor '{wte.Name}' has shape {wte.ShapeText}, expected [vocab, channels]");
        if (wpe.Shape.Length != 2 || wpe.Shape[1] != wte.Shape[1])
            throw new InvalidDataException($"{path}: tensor '{wpe.Name}' has shape {wpe.ShapeText}, expected [context, {wte.Shape[1]}]");
        int L = 0;
        while (file.Contains($"{p}h.{L}.ln_1.weight")) L++;
        if (L == 0) throw new InvalidDataException($"{path}: no transformer blocks ('{p}h.0.ln_1.weight' is missing)");
        int C = wte.Shape[1], V = wte.Shape[0], T = wpe.Shape[0];

        JsonObject? hfConfig = ReadSiblingConfig(path);
        int? metaHeads = MetaInt(file, "n_head");
        int? configHeads = hfConfig?["n_head"] is JsonValue v && v.TryGetValue(out int nh) ? nh : null;
        if (hfConfig is not null)
        {
            foreach (var (key, actual) in new[] { ("n_embd", C), ("n_layer", L), ("n_positions", T), ("vocab_size", V) })
                if (hfConfig[key] is JsonValue jv && jv.TryGetValue(out int expected) && expected != actual)
                    throw new InvalidDataException($"{SiblingConfigPath(path)}: {key} is {expected} but the weights in {path} have {actual}");
        }
        int resolvedHeads = heads ?? metaHeads ?? configHeads
            ?? throw new InvalidDataException($"{path}: the number of attention heads cannot be inferred from tensor shapes; pass --heads N or put HF's config.json (with n_head) next to the file");
        if (resolvedHeads < 1 || C % resolvedHeads != 0)
            throw new InvalidDataException($"{path}: {resolvedHeads} heads do not divide the {C} channels");
        int padded = MetaInt(file, "eslm.padded_vocab_size") ?? 0;
        if (padded != 0 && padded < V) throw new InvalidDataException($"{path}: eslm.padded_vocab_size {padded} is smaller than the vocabulary {V}");
        return new GptConfig { Layers = L, Heads = resolvedHeads, Channels = C, MaxSequenceLength = T, VocabSize = V, PaddedVocabSize = padded }.Validated();
    }

    private static int? MetaInt(SafetensorsFile file, string key)
    {
        if (!file.Metadata.TryGetValue(key, out var s)) return null;
        return int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int x) ? x
            : throw new InvalidDataException($"{file.Path}: metadata '{key}' = '{s}' is not an integer");
    }

    public static string SiblingConfigPath(string weightsPath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(weightsPath))!, "config.json");

    private static JsonObject? ReadSiblingConfig(string weightsPath)
    {
        string cfg = SiblingConfigPath(weightsPath);
        if (!File.Exists(cfg)) return null;
        try
        {
            return JsonNode.Parse(File.ReadAllText(cfg)) as JsonObject
                   ?? throw new InvalidDataException($"{cfg}: not a JSON object");
        }
        catch (JsonException e) { throw new InvalidDataException($"{cfg}: invalid JSON ({e.Message.Split('.')[0]})"); }
    }

    /// <summary>
    /// Loads an HF-layout GPT-2 file (with or without the "transformer." prefix) into a new model. Attention-mask buffers
    /// are ignored; an <c>lm_head.weight</c> must equal wte (the head is tied); any other unknown tensor is an error.
    /// </summary>
    public static Gpt Load(SafetensorsFile file, int? heads = null)
    {
        var config = InferConfig(file, heads);
        string p = DetectPrefix(file);
        var known = new HashSet<string>(Entries(config).Select(e => p + e.HfName)) { p + WtePaddingName, "lm_head.weight" };
        foreach (var t in file.Tensors)
            if (!known.Contains(t.Name) && !IsIgnoredBuffer(t.Name))
                throw new InvalidDataException($"{file.Path}: unexpected tensor '{t.Name}' for a GPT-2 model");
        var model = new Gpt(config);
        try
        {
            ReadBlock(file, config, model.Parameters, p);
            if (file.Find("lm_head.weight") is { } head)
            {
                if (!head.Shape.SequenceEqual(new[] { config.VocabSize, config.C }))
                    throw new InvalidDataException($"{file.Path}: tensor 'lm_head.weight' has shape {head.ShapeText}, expected [{config.VocabSize}, {config.C}]");
                var values = new float[head.ElementCount];
                file.ReadFloats(head, values);
                if (!values.AsSpan().SequenceEqual(model.Parameters.Span(Wte)[..values.Length]))
                    throw new InvalidDataException($"{file.Path}: lm_head.weight differs from wte.weight; Eslm ties the LM head to the token embedding");
            }
            return model;
        }
        catch { model.Dispose(); throw; }
    }

    /// <summary>
    /// Writes a model's weights as an HF-layout safetensors file (atomically). <paramref name="transformerPrefix"/> selects
    /// GPT2LMHeadModel names. With <paramref name="writeHfConfig"/>, HF's config.json is written next to it.
    /// </summary>
    public static void Save(string path, Gpt model, bool transformerPrefix = false, bool writeHfConfig = false,
        IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        var config = model.Config;
        var metadata = Metadata(config);
        if (extraMetadata is not null) foreach (var (k, v) in extraMetadata) metadata[k] = v;
        string prefix = transformerPrefix ? TransformerPrefix : "";
        AtomicFile.Write(path, stream =>
        {
            var writer = new SafetensorsWriter(stream, Declarations(config, model.Parameters, prefix), metadata);
            WriteBlock(writer, config, model.Parameters, prefix);
            writer.Finish();
        });
        if (writeHfConfig)
            AtomicFile.WriteAllText(SiblingConfigPath(path), HfConfigJson(config).ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }
}
