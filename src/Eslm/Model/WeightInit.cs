using Eslm.Tensors;

namespace Eslm.Model;

/// <summary>
/// nanoGPT/GPT-2 initialisation, seeded: matrices N(0, 0.02), residual output projections N(0, 0.02/√(2L)),
/// biases 0, LayerNorm gains 1. Tensors are filled in layout order from one stream, so a seed fixes every weight.
/// Padded vocabulary rows of wte stay 0 (they never receive gradient either).
/// </summary>
public static class WeightInit
{
    public const float Std = 0.02f;

    public static void Initialize(Gpt model, ulong seed)
    {
        var cfg = model.Config;
        var rng = new Rng(seed);
        var p = model.Parameters;
        p.Clear();
        for (int i = 0; i < p.Specs.Count; i++)
        {
            string name = p.Specs[i].Name;
            var span = p.Span(i);
            if (name is ParameterLayout.Ln1W or ParameterLayout.Ln2W or ParameterLayout.LnfW) span.Fill(1f);
            else if (ParameterLayout.Matrices.Contains(name))
            {
                float std = ParameterLayout.ResidualProjections.Contains(name) ? Std / MathF.Sqrt(2f * cfg.L) : Std;
                int count = name == ParameterLayout.Wte ? cfg.VocabSize * cfg.C : span.Length;
                for (int j = 0; j < count; j++) span[j] = (float)(rng.NextGaussian() * std);
            }
        }
    }
}
