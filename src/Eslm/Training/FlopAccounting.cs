using Eslm.Model;

namespace Eslm.Training;

/// <summary>
/// The papers' FLOP accounting (docs/selection.md): a forward costs 2·N per token, a backward 4·N per kept token,
/// auxiliary models 2·N_aux per token they see. Executed FLOPs are counted separately, by the GEMM entry point.
/// </summary>
public static class FlopAccounting
{
    public static double Forward(long parameters, int tokens) => 2.0 * parameters * tokens;

    public static double Backward(long parameters, int keptTokens) => 4.0 * parameters * keptTokens;

    /// <summary>Parameters an early-exit proxy of <paramref name="layers"/> blocks runs: embeddings + blocks + final LayerNorm.</summary>
    public static long ProxyParameters(GptConfig c, int layers) =>
        (long)c.VocabSize * c.C + (long)c.MaxSequenceLength * c.C + layers * (12L * c.C * c.C + 13L * c.C) + 2L * c.C;
}
