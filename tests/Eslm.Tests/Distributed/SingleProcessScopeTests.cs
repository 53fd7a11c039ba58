using Eslm.Distributed;
using Eslm.Selection;
using Eslm.Tests.Training;
using Eslm.Training;
using Xunit;
using Eslm.Data;

namespace Eslm.Tests.Distributed;

/// <summary>In one process the global scope is the step scope, and rank slices partition the global batch.</summary>
public class SingleProcessScopeTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Global_scope_in_one_process_equals_step_scope(int accumulation)
    {
        var eslm = new SelectionOptions { Strategy = "eslm", Alpha = 0.5, Scope = SelectionScope.Step };
        var step = TrainerHarness.Run(eslm, steps: 2, batch: 2, accumulation: accumulation);
        var global = TrainerHarness.Run(eslm with { Scope = SelectionScope.Global }, steps: 2, batch: 2, accumulation: accumulation);
        Assert.Equal(step.Parameters, global.Parameters);
        for (int s = 0; s < 2; s++) Assert.Equal(step.Steps[s].Selection.KeptTokens, global.Steps[s].Selection.KeptTokens);
    }

    [Fact]
    public void Step_scope_with_one_micro_batch_selects_like_microbatch_scope()
    {
        var eslm = new SelectionOptions { Strategy = "eslm", Alpha = 0.5 };
        var micro = TrainerHarness.Run(eslm, steps: 2, batch: 4);
        var step = TrainerHarness.Run(eslm with { Scope = SelectionScope.Step }, steps: 2, batch: 4);
        Assert.InRange(step.Steps[0].Selection.KeptFraction, 0.5, 0.56);
        Assert.Equal(micro.Parameters, step.Parameters);
    }

    [Fact]
    public void Global_scope_with_normalize_all_in_one_process_equals_step_scope()
    {
        var eslm = new SelectionOptions { Strategy = "eslm", Alpha = 0.3, Scope = SelectionScope.Step, Normalize = Normalization.All };
        var step = TrainerHarness.Run(eslm, steps: 2, batch: 2, accumulation: 2);
        var global = TrainerHarness.Run(eslm with { Scope = SelectionScope.Global }, steps: 2, batch: 2, accumulation: 2);
        Assert.Equal(step.Parameters, global.Parameters);
    }

    [Fact]
    public void Rank_slices_of_a_global_batch_concatenate_to_it_and_share_its_state()
    {
        const int B = 6, T = 5, V = 50, P = 3;
        var whole = new RandomTokenSource(B, T, V, 11);
        var slices = Enumerable.Range(0, P).Select(r => new RankSlicedSource(new RandomTokenSource(B, T, V, 11), r, P)).ToArray();
        for (int batch = 0; batch < 2; batch++)
        {
            var inputs = new int[B * T]; var targets = new int[B * T];
            whole.NextBatch(inputs, targets);
            for (int r = 0; r < P; r++)
            {
                Assert.Equal(B / P, slices[r].BatchSize);
                var si = new int[B / P * T]; var st = new int[B / P * T];
                slices[r].NextBatch(si, st);
                Assert.Equal(inputs.AsSpan(r * si.Length, si.Length).ToArray(), si);
                Assert.Equal(targets.AsSpan(r * st.Length, st.Length).ToArray(), st);
            }
        }
        Assert.Equal(whole.SaveState().ToJsonString(), slices[2].SaveState().ToJsonString());
        Assert.Throws<ArgumentException>(() => new RankSlicedSource(new RandomTokenSource(5, T, V, 1), 0, 2));
    }
}
