using System.Runtime.Intrinsics;

namespace Eslm.Ops;

/// <summary>
/// Teacher–student kernels over the rows the fused cross-entropy leaves behind: each row holds e = exp(x − max) of the
/// logits and its sum S, so p = e / S. Used by ESLM-KD (the KL score and the distillation gradient).
/// </summary>
public static unsafe class KnowledgeDistillation
{
    /// <summary>
    /// KL(p_t ‖ p_s) of one token at τ = 1, from both models' exp rows of <paramref name="vocabSize"/> entries:
    /// Σ p_t(log e_t − log e_s) + log S_s − log S_t.
    /// </summary>
    public static double KlTeacherStudent(float* studentExp, float studentSum, float* teacherExp, float teacherSum, int vocabSize)
    {
        int V = vocabSize;
        float* es = studentExp, et = teacherExp;
        var tiny = Vector512.Create(1e-30f);
        var acc = Vector512<float>.Zero;
        int v = 0;
        for (; v + 16 <= V; v += 16)
        {
            var t = Vector512.Load(et + v);
            var diff = Vector512.Log(Vector512.Max(t, tiny)) - Vector512.Log(Vector512.Max(Vector512.Load(es + v), tiny));
            acc += t * diff;
        }
        double sum = Vector512.Sum(acc);
        for (; v < V; v++) sum += et[v] * (Math.Log(Math.Max(et[v], 1e-30f)) - Math.Log(Math.Max(es[v], 1e-30f)));
        return sum / teacherSum + Math.Log(studentSum) - Math.Log(teacherSum);
    }

    /// <summary>
    /// Gradient of weight·(CE + λ·τ²·KL(q_t ‖ q_s)) w.r.t. one row of student logits, q = softmax(logits/τ):
    /// d = w·(p_s − onehot) + w·λ·τ·(q_s − q_t), in one pass. <paramref name="destination"/> (Vp wide, padding zeroed)
    /// may alias <paramref name="expRow"/>, the student's exp row with sum <paramref name="rowSum"/>.
    /// </summary>
    public static void RowGradient(float* destination, float* expRow, float rowSum, float* teacherExp, float teacherSum,
        int target, float weight, float lambda, float temperature, int vocabSize, int paddedVocabSize)
    {
        int V = vocabSize, Vp = paddedVocabSize;
        if (weight == 0f) { new Span<float>(destination, Vp).Clear(); return; }
        float* et = teacherExp;
        float tau = temperature, invTau = 1f / tau, kd = weight * lambda * tau;
        float zs, zt;
        if (tau != 1f) { zs = PowerSum(expRow, V, invTau); zt = PowerSum(et, V, invTau); }
        else { zs = rowSum; zt = teacherSum; }
        var ce = Vector512.Create(weight / rowSum); var vKd = Vector512.Create(kd);
        var vzs = Vector512.Create(1f / zs); var vzt = Vector512.Create(1f / zt); var vInv = Vector512.Create(invTau);
        int v = 0;
        for (; v + 16 <= V; v += 16)
        {
            var es = Vector512.Load(expRow + v); var t = Vector512.Load(et + v);
            var qs = tau == 1f ? es : Vector512.Exp(Vector512.Log(es) * vInv);
            var qt = tau == 1f ? t : Vector512.Exp(Vector512.Log(t) * vInv);
            Vector512.Store(ce * es + vKd * (qs * vzs - qt * vzt), destination + v);
        }
        for (; v < V; v++)
        {
            float es = expRow[v], t = et[v];
            float qs = tau == 1f ? es : MathF.Pow(es, invTau), qt = tau == 1f ? t : MathF.Pow(t, invTau);
            destination[v] = weight / rowSum * es + kd * (qs / zs - qt / zt);
        }
        new Span<float>(destination + V, Vp - V).Clear();
        destination[target] -= weight;
    }

    /// <summary>Σ e^power over n entries (the τ-tempered partition function from exp rows).</summary>
    private static float PowerSum(float* e, int n, float power)
    {
        var acc = Vector512<float>.Zero; var p = Vector512.Create(power);
        int v = 0;
        for (; v + 16 <= n; v += 16) acc += Vector512.Exp(Vector512.Log(Vector512.Load(e + v)) * p);
        float sum = Vector512.Sum(acc);
        for (; v < n; v++) sum += MathF.Pow(e[v], power);
        return sum;
    }
}
