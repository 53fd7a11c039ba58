using Eslm.Model;
using Eslm.Tests.Reference;
using Xunit;
using static Eslm.Tests.Reference.Numerics;

namespace Eslm.Tests.Model;

/// <summary>
/// Whole-model logits, losses and every parameter gradient against PyTorch (float64 oracle, dev/make_fixtures.py), for
/// the exact backward and for the kept-rows backward (dropped tokens' keys and values detached in PyTorch).
/// Tolerance 1e-4 relative: max|eslm − torch| / max|torch| per tensor.
/// </summary>
public class PyTorchFixtureTests
{
    private const double Tolerance = 1e-4;

    public PyTorchFixtureTests() => Blas.Ensure();

    private static (PyTorchFixture Fixture, Gpt Gpt, float Loss) Run(string name)
    {
        var f = PyTorchFixture.Load(name);
        var gpt = ModelTestSupport.Create(f.Config, f.Parameters());
        gpt.BackwardMode = f.Backward;
        float loss = gpt.Forward(f.Ints("inputs"), f.Ints("targets"), f.B, f.T);
        return (f, gpt, loss);
    }

    [Theory]
    [InlineData("tiny_gpt2")] [InlineData("tiny_gpt2_masked")]
    public void Fixture_lists_parameters_in_eslm_layout_order(string name)
    {
        var f = PyTorchFixture.Load(name);
        var expected = ParameterLayout.For(f.Config).ToList();
        var listed = f.Names.Where(n => n.StartsWith("param/")).ToList();
        Assert.Equal(expected.Select(s => "param/" + s.Name), listed);
        foreach (var s in expected) Assert.Equal(s.Shape, f.Shape("param/" + s.Name));
    }

    [Fact]
    public void Logits_match_pytorch()
    {
        var (f, gpt, _) = Run("tiny_gpt2");
        using var _gpt = gpt;
        var cfg = f.Config;
        int BT = f.B * f.T, C = cfg.C, Vp = cfg.Vp;
        // Eslm's logits buffer is overwritten by the fused softmax; recompute logits = lnf · wteᵀ from its activations.
        var lnf = gpt.Activations.Span("lnf");
        var wte = gpt.Parameters.Span(ParameterLayout.Wte);
        var logits = new float[BT * Vp];
        for (int r = 0; r < BT; r++)
            for (int v = 0; v < Vp; v++)
            {
                double s = 0;
                for (int c = 0; c < C; c++) s += (double)lnf[r * C + c] * wte[v * C + c];
                logits[r * Vp + v] = (float)s;
            }
        AssertClose(ToDouble(f.Floats("logits")), logits, Tolerance, "fixture.logits");
    }

    [Fact]
    public void Log_probabilities_from_the_fused_softmax_match_pytorch()
    {
        var (f, gpt, _) = Run("tiny_gpt2");
        using var _gpt = gpt;
        int BT = f.B * f.T, V = f.Config.VocabSize, Vp = f.Config.Vp;
        var e = gpt.Activations.Span("logits"); var s = gpt.Activations.Span("row_sum");
        var torchLogits = f.Floats("logits");
        var expected = new double[BT * V]; var actual = new float[BT * V];
        for (int r = 0; r < BT; r++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int v = 0; v < V; v++) max = Math.Max(max, torchLogits[r * Vp + v]);
            for (int v = 0; v < V; v++) sum += Math.Exp(torchLogits[r * Vp + v] - max);
            for (int v = 0; v < V; v++)
            {
                expected[r * V + v] = torchLogits[r * Vp + v] - max - Math.Log(sum);
                actual[r * V + v] = MathF.Log(e[r * Vp + v] / s[r]);
            }
            for (int v = V; v < Vp; v++) Assert.Equal(0f, e[r * Vp + v]);   // padded ids carry no probability
        }
        AssertClose(expected, actual, Tolerance, "fixture.logprobs");
    }

    [Fact]
    public void Per_token_losses_mean_loss_and_entropies_match_pytorch()
    {
        var (f, gpt, loss) = Run("tiny_gpt2");
        using var _gpt = gpt;
        AssertClose(ToDouble(f.Floats("losses")), gpt.Losses, Tolerance, "fixture.losses");
        AssertClose(ToDouble(f.Floats("entropy")), gpt.Entropies, Tolerance, "fixture.entropy");
        AssertClose(ToDouble(f.Floats("mean_loss")), [loss], Tolerance, "fixture.mean_loss");
    }

    [Theory]
    [InlineData("tiny_gpt2")] [InlineData("tiny_gpt2_masked")] [InlineData("tiny_gpt2_masked_kept_rows")]
    public void Every_parameter_gradient_matches_pytorch(string name)
    {
        var (f, gpt, _) = Run(name);
        using var _gpt = gpt;
        var dLosses = f.Floats("dlosses");
        double objective = 0;
        for (int i = 0; i < dLosses.Length; i++) objective += dLosses[i] * gpt.Losses[i];
        AssertClose(ToDouble(f.Floats("objective")), [(float)objective], Tolerance, $"fixture.objective {name}");
        gpt.ZeroGradients();
        gpt.Backward(dLosses);
        var failures = new List<string>();
        foreach (var spec in ParameterLayout.For(f.Config))
        {
            var expected = ToDouble(f.Floats("grad/" + spec.Name));
            double e = RelativeError(expected, gpt.Gradients.Span(spec.Name));
            ErrorLog.Record($"fixture.grad.{spec.Name}", e);
            if (!(e <= Tolerance)) failures.Add($"{spec.Name}: {e:E3}");
        }
        Assert.True(failures.Count == 0, $"{name}: gradients beyond {Tolerance:E0} relative: {string.Join(", ", failures)}");
    }

    [Theory]
    [InlineData("tiny_gpt2_masked")] [InlineData("tiny_gpt2_masked_kept_rows")]
    public void Masked_fixtures_really_exercise_the_skip_paths(string name)
    {
        var f = PyTorchFixture.Load(name);
        var w = f.Floats("dlosses");
        Assert.Contains(0f, w);
        for (int b = 0; b < f.B; b++) Assert.Equal(0f, w[b * f.T + f.T - 1]);   // every sequence ends in zero weights
    }
}
