using Eslm.Model;
using Eslm.Tests.Reference;
using Xunit;

namespace Eslm.Tests.Model;

/// <summary>
/// The per-op profile (`eslm bench --profile` prints it) names the same ops, once per op call, whichever row plan the
/// backward runs over: all rows, kept rows with the exact gradient (compact top, then ranges), or kept rows all the way.
/// </summary>
public class OpProfileTests
{
    public OpProfileTests() => Blas.Ensure();

    private const int L = 2; // ModelTestSupport.Tiny

    /// <summary>One forward of L blocks: the embeddings, 2 LayerNorms, 4 products, attention and GELU per block, the head.</summary>
    private static readonly Dictionary<string, long> Forward = new()
    {
        ["encoder.fwd"] = 1, ["layernorm.fwd"] = 2 * L + 1, ["matmul.fwd"] = 4 * L, ["attention.fwd"] = L, ["gelu.fwd"] = L,
        ["head.fwd"] = 1, ["crossentropy.fwd"] = 1,
    };

    /// <summary>The forward in reverse; gather.bwd counts the row gathers and scatters that only the kept-row plans need.</summary>
    private static Dictionary<string, long> Backward(long gathers)
    {
        var d = new Dictionary<string, long>
        {
            ["head.bwd"] = 1, ["layernorm.bwd"] = 2 * L + 1, ["matmul.bwd"] = 4 * L, ["gelu.bwd"] = L, ["attention.bwd"] = L, ["encoder.bwd"] = 1,
        };
        if (gathers > 0) d["gather.bwd"] = gathers;
        return d;
    }

    public static TheoryData<string, BackwardMode, bool, long> Plans => new()
    {
        { "all rows", BackwardMode.Exact, false, 0 },
        { "exact, some dropped", BackwardMode.Exact, true, 2 },       // the top block's kept queries, then dResidual scattered back
        { "kept rows, some dropped", BackwardMode.KeptRows, true, L }, // every block's kept queries
    };

    [Theory]
    [MemberData(nameof(Plans))]
    public void Profile_names_each_op_once_per_call_for_every_row_plan(string plan, BackwardMode mode, bool dropSome, long gathers)
    {
        const int B = 3, T = 7;
        var c = ModelCase.Random(ModelTestSupport.Tiny, B, T, 5);
        using var gpt = ModelTestSupport.Create(c.Config, c.Parameters);
        gpt.BackwardMode = mode;
        gpt.Timer.Enabled = true;
        gpt.Forward(c.Inputs, c.Targets, B, T);
        gpt.ZeroGradients();
        gpt.Backward(Enumerable.Range(0, B * T).Select(i => dropSome && i % 3 == 1 ? 0f : 1f / (B * T)).ToArray());

        var expected = Forward.Concat(Backward(gathers)).OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value}");
        var actual = gpt.Timer.Totals.OrderBy(t => t.Name).Select(t => $"{t.Name}={t.Calls}");
        Assert.True(expected.SequenceEqual(actual), $"{plan}: expected {string.Join(" ", expected)}\nactual   {string.Join(" ", actual)}");
    }
}
