using Eslm.Model;
using Eslm.Selection;
using Eslm.Training;
using Eslm.Tests.Training;
using Xunit;

namespace Eslm.Tests.Selection;

public unsafe class DistillationGradientTests
{
    /// <summary>
    /// F(θ) = Σ_i w_i·[CE_i + λ·τ²·KL(q_t,i ‖ q_s,i)], q = softmax(logits/τ), computed in double from both models' exp rows.
    /// </summary>
    private static double Objective(Gpt student, Gpt teacher, float[] w, float lambda, float tau)
    {
        int V = student.Config.VocabSize, n = w.Length;
        double total = 0;
        for (int r = 0; r < n; r++)
        {
            if (w[r] == 0) continue;
            float* es = student.Activations.Pointer("logits") + (long)r * student.Config.Vp;
            float* et = teacher.Activations.Pointer("logits") + (long)r * teacher.Config.Vp;
            double zs = 0, zt = 0;
            for (int v = 0; v < V; v++) { zs += Math.Pow(es[v], 1.0 / tau); zt += Math.Pow(et[v], 1.0 / tau); }
            double kl = 0;
            for (int v = 0; v < V; v++)
            {
                double qs = Math.Pow(es[v], 1.0 / tau) / zs, qt = Math.Pow(et[v], 1.0 / tau) / zt;
                kl += qt * (Math.Log(qt) - Math.Log(qs));
            }
            total += w[r] * (student.Losses[r] + lambda * tau * tau * kl);
        }
        return total;
    }

    [Theory]
    [InlineData(1.0f)]
    [InlineData(2.0f)]
    public void Distillation_head_gradient_matches_a_finite_difference_of_the_objective(float tau)
    {
        const float lambda = 0.7f;
        const int B = 2, T = 16;
        using var student = TrainerHarness.NewModel(5);
        var teacher = TrainerHarness.NewModel(77);
        using var auxiliary = new AuxiliaryModels(new AuxiliaryNeeds { TeacherModel = "t", Distillation = new Distillation(lambda, tau) }, student, _ => teacher);
        var rng = new Random(1);
        var inputs = Enumerable.Range(0, B * T).Select(_ => rng.Next(101)).ToArray();
        var targets = Enumerable.Range(0, B * T).Select(_ => rng.Next(101)).ToArray();
        var w = Enumerable.Range(0, B * T).Select(i => i % 3 == 0 ? 0f : 1f / (B * T)).ToArray();

        double F()
        {
            teacher.Forward(inputs, targets, B, T);
            student.Forward(inputs, targets, B, T);
            return Objective(student, teacher, w, lambda, tau);
        }

        F();
        student.ZeroGradients();
        student.RowGradient = auxiliary.HeadGradient;
        student.Backward(w);
        var g = student.Gradients.All.ToArray();
        var p = student.Parameters.All;
        var theta = p.ToArray();
        var d = Enumerable.Range(0, p.Length).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        double analytic = 0;
        for (int i = 0; i < p.Length; i++) analytic += (double)g[i] * d[i];
        const float eps = 1e-3f;
        for (int i = 0; i < p.Length; i++) p[i] = theta[i] + eps * d[i];
        double plus = F();
        for (int i = 0; i < p.Length; i++) p[i] = theta[i] - eps * d[i];
        double minus = F();
        double numeric = (plus - minus) / (2 * eps);
        Assert.True(Math.Abs(numeric - analytic) <= 2e-2 * Math.Abs(analytic) + 1e-4, $"numeric {numeric:G6} vs analytic {analytic:G6}");
    }
}
