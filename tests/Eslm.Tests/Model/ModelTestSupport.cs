using System.Text.Json;
using Eslm.Model;
using Eslm.Tests.Reference;

namespace Eslm.Tests.Model;

/// <summary>Building models with given weights, and reading the PyTorch fixtures written by dev/make_fixtures.py.</summary>
public static class ModelTestSupport
{
    /// <summary>Seeded weights in layout order, deliberately not tiny so every path carries signal (as in the fixture script).</summary>
    public static float[] RandomParameters(GptConfig cfg, int seed)
    {
        var rng = new Random(seed);
        var all = new List<float>();
        foreach (var spec in ParameterLayout.For(cfg))
        {
            int n = (int)spec.Count;
            string name = spec.Name;
            float[] t = name switch
            {
                ParameterLayout.Ln1W or ParameterLayout.Ln2W or ParameterLayout.LnfW => Numerics.Randn(rng, n, 0.2, 1.0),
                ParameterLayout.Wte or ParameterLayout.Wpe => Numerics.Randn(rng, n, 0.4),
                _ when spec.Rank == 3 => Numerics.Randn(rng, n, 1.0 / Math.Sqrt(spec.Shape[2])),
                _ => Numerics.Randn(rng, n, 0.1),
            };
            all.AddRange(t);
        }
        return all.ToArray();
    }

    public static Gpt Create(GptConfig cfg, float[] parameters)
    {
        var gpt = new Gpt(cfg);
        parameters.CopyTo(gpt.Parameters.All);
        return gpt;
    }

    /// <summary>Tiny, with awkward sizes: HS = 4 with 3 heads, V = 23 padded to 32, contexts of 7 below 9.</summary>
    public static readonly GptConfig Tiny = new() { Layers = 2, Heads = 3, Channels = 12, MaxSequenceLength = 9, VocabSize = 23, PaddedVocabSize = 32 };

    /// <summary>Asserts every parameter tensor's relative error (max |e − a| / max |e|) is within the tolerance; logs each.</summary>
    public static void AssertTensorsClose(GptConfig cfg, double[] expected, float[] actual, double tolerance, string label)
    {
        var failures = new List<string>();
        foreach (var (name, offset, count) in Tensors(cfg))
        {
            double e = Numerics.RelativeError(expected.AsSpan(offset, count), actual.AsSpan(offset, count));
            ErrorLog.Record($"{label}.{name}", e);
            if (!(e <= tolerance)) failures.Add($"{name}: {e:E3}");
        }
        Xunit.Assert.True(failures.Count == 0, $"{label}: gradients beyond {tolerance:E0} relative: {string.Join(", ", failures)}");
    }

    /// <summary>
    /// Checks a double-precision analytic gradient against central finite differences of <paramref name="objective"/> at
    /// <paramref name="perTensor"/> random coordinates of every tensor, within 1e-7 of the tensor's largest gradient.
    /// </summary>
    public static void AssertMatchesFiniteDifferences(GptConfig cfg, double[] analytic, Func<double> objective, double[] parameters, int seed, int perTensor = 3)
    {
        var rng = new Random(seed);
        foreach (var (name, offset, count) in Tensors(cfg))
        {
            double scale = 0;
            for (int i = 0; i < count; i++) scale = Math.Max(scale, Math.Abs(analytic[offset + i]));
            for (int k = 0; k < perTensor; k++)
            {
                int i = offset + rng.Next(count);
                double fd = FiniteDifference.Partial(objective, parameters, i);
                Xunit.Assert.True(Math.Abs(fd - analytic[i]) <= 1e-7 * Math.Max(scale, 1e-30), $"{name}[{i - offset}]: analytic {analytic[i]:G9}, FD {fd:G9}");
            }
        }
    }

    /// <summary>(name, offset, count) of every parameter tensor in the flat layout.</summary>
    public static IEnumerable<(string Name, int Offset, int Count)> Tensors(GptConfig cfg)
    {
        int offset = 0;
        foreach (var spec in ParameterLayout.For(cfg))
        {
            yield return (spec.Name, offset, (int)spec.Count);
            offset += (int)spec.Count;
        }
    }
}

/// <summary>A model with seeded weights and a batch of seeded tokens, for whole-model gradient tests.</summary>
public sealed record ModelCase(GptConfig Config, int B, int T, float[] Parameters, int[] Inputs, int[] Targets)
{
    /// <summary>Input 0 is the last real id and input 3 repeats it, so the padded-vocabulary edge and dwte accumulation are hit.</summary>
    public static ModelCase Random(GptConfig cfg, int B, int T, int seed)
    {
        var rng = new Random(seed);
        var inputs = Numerics.Tokens(rng, B * T, cfg.VocabSize);
        inputs[0] = cfg.VocabSize - 1;
        if (B * T > 3) inputs[3] = inputs[0];
        return new ModelCase(cfg, B, T, ModelTestSupport.RandomParameters(cfg, seed), inputs, Numerics.Tokens(rng, B * T, cfg.VocabSize));
    }

    /// <summary>Eslm's gradient of Σ_i dLosses[i]·loss_i (one forward, one backward from zeroed gradients).</summary>
    public float[] Gradient(float[] dLosses, BackwardMode mode = BackwardMode.Exact)
    {
        using var gpt = ModelTestSupport.Create(Config, Parameters);
        gpt.BackwardMode = mode;
        gpt.Forward(Inputs, Targets, B, T);
        gpt.ZeroGradients();
        gpt.Backward(dLosses);
        return gpt.Gradients.All.ToArray();
    }
}

/// <summary>
/// A fixture written by dev/make_fixtures.py: NAME.json (config, batch shape, tensor index) + NAME.bin (little-endian
/// float32 / int32 data at the listed byte offsets). See the script's docstring for the tensors it holds.
/// </summary>
public sealed class PyTorchFixture
{
    private readonly Dictionary<string, (string Dtype, int[] Shape, int Offset)> _index = new();
    private readonly byte[] _data;

    private PyTorchFixture(string name)
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "Fixtures");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, name + ".json")));
        var root = doc.RootElement;
        if (root.GetProperty("format").GetString() != "eslm-fixture-1") throw new InvalidDataException("unknown fixture format");
        var c = root.GetProperty("config");
        Config = new GptConfig
        {
            Layers = c.GetProperty("layers").GetInt32(), Heads = c.GetProperty("heads").GetInt32(),
            Channels = c.GetProperty("channels").GetInt32(), MaxSequenceLength = c.GetProperty("max_seq").GetInt32(),
            VocabSize = c.GetProperty("vocab").GetInt32(), PaddedVocabSize = c.GetProperty("padded_vocab").GetInt32(),
        };
        // Fixtures written before the field existed used the exact backward.
        Backward = root.TryGetProperty("backward", out var backward) && backward.GetString() == "kept-rows" ? BackwardMode.KeptRows : BackwardMode.Exact;
        B = root.GetProperty("batch").GetInt32();
        T = root.GetProperty("seq").GetInt32();
        foreach (var t in root.GetProperty("tensors").EnumerateArray())
        {
            Names.Add(t.GetProperty("name").GetString()!);
            _index[Names[^1]] = (t.GetProperty("dtype").GetString()!, t.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray(),
                t.GetProperty("offset").GetInt32());
        }
        _data = File.ReadAllBytes(Path.Combine(dir, name + ".bin"));
    }

    public static PyTorchFixture Load(string name) => new(name);

    public GptConfig Config { get; }
    /// <summary>Which backward the stored gradients are of (the fixture's "backward": exact or kept-rows).</summary>
    public BackwardMode Backward { get; }
    public int B { get; }
    public int T { get; }
    public List<string> Names { get; } = new();

    public int[] Shape(string name) => _index[name].Shape;

    public float[] Floats(string name)
    {
        var (dtype, shape, offset) = _index[name];
        if (dtype != "f32") throw new InvalidDataException($"{name} is {dtype}");
        int n = shape.Aggregate(1, (a, d) => a * d);
        var result = new float[n];
        for (int i = 0; i < n; i++) result[i] = BitConverter.ToSingle(_data, offset + 4 * i);   // little-endian hosts only
        return result;
    }

    public int[] Ints(string name)
    {
        var (dtype, shape, offset) = _index[name];
        if (dtype != "i32") throw new InvalidDataException($"{name} is {dtype}");
        int n = shape.Aggregate(1, (a, d) => a * d);
        var result = new int[n];
        for (int i = 0; i < n; i++) result[i] = BitConverter.ToInt32(_data, offset + 4 * i);
        return result;
    }

    /// <summary>All parameters, flat, in Eslm's layout order.</summary>
    public float[] Parameters() =>
        ParameterLayout.For(Config).SelectMany(s => Floats("param/" + s.Name)).ToArray();
}
