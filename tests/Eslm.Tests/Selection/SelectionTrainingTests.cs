using Eslm.Model;
using Eslm.Selection;
using Eslm.Selection.Strategies;
using Eslm.Tests.Training;
using Eslm.Training;
using Xunit;

namespace Eslm.Tests.Selection;

public class SelectionTrainingTests
{
    private static readonly SelectionOptions Clm = new() { Strategy = "clm" };

    [Fact]
    public void Eslm_with_alpha_zero_is_bit_identical_to_clm()
    {
        var clm = TrainerHarness.Run(Clm);
        var eslm = TrainerHarness.Run(new SelectionOptions { Strategy = "eslm", Alpha = 0 });
        Assert.Equal(clm.Steps.Select(s => s.Loss), eslm.Steps.Select(s => s.Loss));
        Assert.Equal(clm.Parameters, eslm.Parameters);
    }

    [Fact]
    public void Ada_eslm_warm_start_trains_exactly_like_clm_until_the_schedule_starts()
    {
        // 3 steps, w = 0.9: steps 0 and 1 (progress 0, 0.5) run at α = 0, step 2 (progress 1) at α_end.
        var clm = TrainerHarness.Run(Clm);
        var ada = TrainerHarness.Run(new SelectionOptions { Strategy = "ada-eslm" }
            .With(new AdaEslmSettings { AlphaStart = 0, AlphaEnd = 0.6, AdaWarmup = 0.9 }));
        for (int s = 0; s < 2; s++)
        {
            Assert.Equal(0, ada.Steps[s].Selection.Alpha);
            Assert.Equal(1.0, ada.Steps[s].Selection.KeptFraction);
            Assert.Equal(clm.Steps[s].GradientNorm, ada.Steps[s].GradientNorm);
        }
        // Step 2's loss is taken before its update, so it still equals CLM's bit for bit; its selection does not.
        Assert.Equal(clm.Steps.Select(s => s.Loss), ada.Steps.Select(s => s.Loss));
        Assert.Equal(0.6, ada.Steps[2].Selection.Alpha, 1e-9);
        Assert.True(ada.Steps[2].Selection.KeptFraction < 1);
        Assert.NotEqual(clm.Parameters, ada.Parameters);
    }

    [Fact]
    public void Random_with_keep_one_is_bit_identical_to_clm()
    {
        var clm = TrainerHarness.Run(Clm);
        var random = TrainerHarness.Run(new SelectionOptions { Strategy = "random", Keep = 1 });
        Assert.Equal(clm.Parameters, random.Parameters);
    }

    [Fact]
    public void Clm_is_bit_identical_run_to_run()
    {
        var a = TrainerHarness.Run(Clm);
        var b = TrainerHarness.Run(Clm);
        Assert.Equal(a.Steps.Select(s => s.Loss), b.Steps.Select(s => s.Loss));
        Assert.Equal(a.Parameters, b.Parameters);
    }

    [Fact]
    public void Eslm_keeps_about_one_minus_alpha_and_its_kept_loss_is_the_cvar()
    {
        var run = TrainerHarness.Run(new SelectionOptions { Strategy = "eslm", Alpha = 0.5 }, steps: 1);
        var s = run.Steps[0].Selection;
        Assert.InRange(s.KeptFraction, 0.5, 0.56);
        Assert.True(s.LossKept > s.LossAll);
        Assert.Equal(s.Cvar, s.LossKept, 1e-5);
    }

    [Fact]
    public void Step_scope_over_four_micro_batches_equals_one_batch_four_times_larger()
    {
        var eslm = new SelectionOptions { Strategy = "eslm", Alpha = 0.5, Scope = SelectionScope.Step };
        var big = TrainerHarness.Run(eslm with { Scope = SelectionScope.Microbatch }, steps: 2, batch: 8, accumulation: 1);
        var accumulated = TrainerHarness.Run(eslm, steps: 2, batch: 2, accumulation: 4);
        for (int s = 0; s < 2; s++)
        {
            Assert.Equal(big.Steps[s].Selection.KeptTokens, accumulated.Steps[s].Selection.KeptTokens);
            Assert.Equal(big.Steps[s].Loss, accumulated.Steps[s].Loss, 1e-5);
        }
        AssertClose(big.Parameters, accumulated.Parameters, 1e-5);
    }

    [Fact]
    public void Microbatch_scope_with_accumulation_differs_from_step_scope()
    {
        var eslm = new SelectionOptions { Strategy = "eslm", Alpha = 0.5 };
        var micro = TrainerHarness.Run(eslm, steps: 1, batch: 2, accumulation: 4);
        var step = TrainerHarness.Run(eslm with { Scope = SelectionScope.Step }, steps: 1, batch: 2, accumulation: 4);
        Assert.NotEqual(micro.Parameters, step.Parameters);
    }

    [Fact]
    public void Sequence_scope_keeps_at_least_one_token_in_every_sequence()
    {
        var run = TrainerHarness.Run(new SelectionOptions { Strategy = "eslm", Alpha = 0.9, Scope = SelectionScope.Sequence }, steps: 1);
        // 4 sequences of 16: each keeps 16 − ⌈0.9·16⌉ + 1 = 2 tokens (continuous losses: no ties).
        Assert.Equal(8, run.Steps[0].Selection.KeptTokens);
    }

    [Fact]
    public void Rho1_with_the_reference_equal_to_the_model_has_zero_excess_loss_and_keeps_every_tied_token()
    {
        var rho1 = TrainerHarness.Run(new SelectionOptions { Strategy = "rho1", Keep = 0.6 }.With(new Rho1Settings { Reference = "same" }), steps: 1,
            load: TrainerHarness.CopyOfStudent);
        var clm = TrainerHarness.Run(Clm, steps: 1);
        // Every excess loss is exactly 0, so every token ties with the threshold and is kept: rho1 equals clm.
        Assert.Equal(0.0, rho1.Steps[0].Selection.Threshold);
        Assert.Equal(1.0, rho1.Steps[0].Selection.KeptFraction);
        Assert.Equal(clm.Parameters, rho1.Parameters);
    }

    [Fact]
    public void Kd_with_lambda_zero_equals_eslm_with_the_teachers_score()
    {
        // Teacher = the student's starting weights, so teacher entropy = student entropy at step 0 only; one step compares exactly.
        var kd = TrainerHarness.Run(new SelectionOptions { Strategy = "eslm-kd", Alpha = 0.5 }.With(new EslmKdSettings { Teacher = "same", KdScore = KdScore.TeacherEntropy, KdLambda = 0 }),
            steps: 1, load: TrainerHarness.CopyOfStudent);
        var eslm = TrainerHarness.Run(new SelectionOptions { Strategy = "eslm", Score = ScoreKind.Entropy, Alpha = 0.5 }, steps: 1);
        Assert.Equal(eslm.Parameters, kd.Parameters);
    }

    [Fact]
    public void Hierarchical_with_sequence_alpha_zero_equals_eslm()
    {
        var h = TrainerHarness.Run(new SelectionOptions { Strategy = "hierarchical", Alpha = 0.5 }.With(new HierarchicalSettings { SequenceAlpha = 0, ProxyLayers = 1 }), steps: 2);
        var eslm = TrainerHarness.Run(new SelectionOptions { Strategy = "eslm", Alpha = 0.5 }, steps: 2);
        Assert.Equal(eslm.Parameters, h.Parameters);
    }

    [Fact]
    public void A_proxy_deeper_than_the_model_is_refused_not_clamped()
    {
        var e = Assert.Throws<ArgumentException>(() => TrainerHarness.Run(
            new SelectionOptions { Strategy = "hierarchical" }.With(new HierarchicalSettings { ProxyLayers = 3 }), steps: 1));
        Assert.Contains("--proxy-layers 3 exceeds the model's 2 layers", e.Message);
    }

    [Fact]
    public void Hierarchical_drops_whole_sequences_below_the_sequence_VaR()
    {
        var h = TrainerHarness.Run(new SelectionOptions { Strategy = "hierarchical", Alpha = 0 }.With(new HierarchicalSettings { SequenceAlpha = 0.5, ProxyLayers = 1 }), steps: 1, batch: 8);
        // 8 sequences, β = 0.5: k = 4, sequences with score ≥ the 4th smallest stay: 5 of 8, all their tokens kept (α = 0).
        Assert.Equal(5 * 16, h.Steps[0].Selection.KeptTokens);
    }

    [Fact]
    public void Normalize_all_scales_the_gradient_by_the_kept_fraction()
    {
        var kept = TrainerHarness.Run(new SelectionOptions { Strategy = "eslm", Alpha = 0.5 }, steps: 1);
        var all = TrainerHarness.Run(new SelectionOptions { Strategy = "eslm", Alpha = 0.5, Normalize = Normalization.All }, steps: 1);
        Assert.Equal(kept.Steps[0].Selection.KeptTokens, all.Steps[0].Selection.KeptTokens);
        double ratio = all.Steps[0].GradientNorm / kept.Steps[0].GradientNorm;
        Assert.Equal(kept.Steps[0].Selection.KeptFraction, ratio, 1e-4);
    }

    [Fact]
    public void Normalize_all_with_hierarchical_divides_by_the_tokens_before_the_sequence_filter()
    {
        // docs/selection.md: dropped tokens count as zero loss, those of dropped sequences too; so the gradient shrinks
        // by the kept fraction of *all* the step's tokens (kept_fraction), not of the surviving sequences' tokens.
        var settings = new HierarchicalSettings { SequenceAlpha = 0.5, ProxyLayers = 1 };
        var kept = TrainerHarness.Run(new SelectionOptions { Strategy = "hierarchical", Alpha = 0.5 }.With(settings), steps: 1, batch: 8);
        var all = TrainerHarness.Run(new SelectionOptions { Strategy = "hierarchical", Alpha = 0.5, Normalize = Normalization.All }.With(settings), steps: 1, batch: 8);
        var selection = all.Steps[0].Selection;
        Assert.Equal(kept.Steps[0].Selection.KeptTokens, selection.KeptTokens);
        Assert.True(selection.KeptTokens < 5 * 16, "the proxy dropped some sequences"); // 5 of 8 sequences survive, then α 0.5
        Assert.Equal(selection.KeptFraction, all.Steps[0].GradientNorm / kept.Steps[0].GradientNorm, 1e-4);
    }

    [Fact]
    public void Bottomk_keeps_the_lowest_losses()
    {
        var run = TrainerHarness.Run(new SelectionOptions { Strategy = "bottomk", Alpha = 0.5 }, steps: 1);
        Assert.True(run.Steps[0].Selection.LossKept < run.Steps[0].Selection.LossAll);
    }

    [Fact]
    public void Random_keeps_exactly_the_requested_fraction_and_depends_on_its_seed()
    {
        var a = TrainerHarness.Run(new SelectionOptions { Strategy = "random", Keep = 0.25, Seed = 1 }, steps: 1);
        var b = TrainerHarness.Run(new SelectionOptions { Strategy = "random", Keep = 0.25, Seed = 2 }, steps: 1);
        Assert.Equal(16, a.Steps[0].Selection.KeptTokens);
        Assert.NotEqual(a.Parameters, b.Parameters);
    }

    [Fact]
    public void Accounted_flops_follow_the_paper_formula()
    {
        var run = TrainerHarness.Run(new SelectionOptions { Strategy = "eslm", Alpha = 0.5 }, steps: 1);
        long n = TrainerHarness.Tiny.ParameterCount;
        var s = run.Steps[0].Selection;
        Assert.Equal(2.0 * n * 64 + 4.0 * n * s.KeptTokens, s.FlopsAccounted);
    }

    [Fact]
    public void Rho1_without_a_reference_is_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new SelectionOptions { Strategy = "rho1" }.Validate());
        Assert.Contains("--reference", e.Message);
    }

    [Theory]
    [InlineData(1.0, 0.6)]
    [InlineData(-0.5, 0.6)]
    [InlineData(0.5, 0.0)]
    [InlineData(0.5, 1.5)]
    public void Alpha_and_keep_out_of_range_are_rejected(double alpha, double keep) =>
        Assert.Throws<ArgumentException>(() => new SelectionOptions { Strategy = "eslm", Alpha = alpha, Keep = keep }.Validate());

    internal static void AssertClose(float[] expected, float[] actual, double relative)
    {
        Assert.Equal(expected.Length, actual.Length);
        double max = expected.Max(x => Math.Abs((double)x)), worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs((double)expected[i] - actual[i]));
        Assert.True(worst <= relative * max, $"max abs difference {worst:E3} exceeds {relative:E1} × {max:E3}");
    }
}
