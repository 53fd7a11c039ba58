using Eslm.Selection;
using Eslm.Selection.Strategies;
using Xunit;

namespace Eslm.Tests.Selection;

/// <summary>Selectors are pure: hand-made statistics in, scores and keep masks out (no model, no trainer).</summary>
public class SelectorTests
{
    private static readonly float[] Loss = [3, 1, 4, 1.5f, 5, 9, 2, 6];
    private static readonly float[] Entropy = [2, 7, 1, 8, 2, 8, 1, 8];

    private static TokenStats Stats(float[]? reference = null, float[]? teacherLoss = null, float[]? teacherEntropy = null, float[]? kl = null) => new()
    {
        Loss = Loss, Entropy = Entropy, ReferenceLoss = reference, TeacherLoss = teacherLoss, TeacherEntropy = teacherEntropy, TeacherKl = kl,
        SequenceLength = 4,
    };

    private static (float[] Scores, bool[] Keep, float Threshold) Run(SelectionOptions options, TokenStats stats)
    {
        var selector = StrategyRegistry.Create(options);
        var scores = new float[stats.Count];
        selector.Score(stats, scores);
        var keep = new bool[stats.Count];
        float threshold = selector.Select(scores, keep, new LocalValueAtRisk());
        return (scores, keep, threshold);
    }

    [Fact]
    public void Clm_keeps_every_token_without_a_threshold()
    {
        var (_, keep, threshold) = Run(new SelectionOptions(), Stats());
        Assert.All(keep, Assert.True);
        Assert.True(float.IsNaN(threshold));
    }

    [Fact]
    public void Eslm_by_loss_keeps_the_losses_at_or_above_the_alpha_quantile()
    {
        // α = 0.5 of 8 tokens: VaR = the 4th smallest loss = 3; losses 3, 4, 5, 9, 6 are kept.
        var (scores, keep, threshold) = Run(new SelectionOptions { Strategy = "eslm", Alpha = 0.5 }, Stats());
        Assert.Equal(Loss, scores);
        Assert.Equal(3f, threshold);
        Assert.Equal([true, false, true, false, true, true, false, true], keep);
    }

    [Fact]
    public void Eslm_by_entropy_keeps_ties_at_the_threshold()
    {
        // α = 0.6: rank ⌈4.8⌉ = 5, the 5th smallest entropy is 7; the four 8s and the 7 are kept.
        var (_, keep, threshold) = Run(new SelectionOptions { Strategy = "eslm", Score = ScoreKind.Entropy, Alpha = 0.6 }, Stats());
        Assert.Equal(7f, threshold);
        Assert.Equal([false, true, false, true, false, true, false, true], keep);
    }

    [Fact]
    public void Eslm_at_alpha_zero_keeps_everything()
    {
        var (_, keep, threshold) = Run(new SelectionOptions { Strategy = "eslm", Alpha = 0 }, Stats());
        Assert.All(keep, Assert.True);
        Assert.Equal(float.NegativeInfinity, threshold);
    }

    [Fact]
    public void Bottomk_keeps_the_lowest_losses()
    {
        var (scores, keep, _) = Run(new SelectionOptions { Strategy = "bottomk", Alpha = 0.5 }, Stats());
        Assert.Equal(Loss.Select(l => -l), scores);
        // VaR_0.5 of −loss = the 4th smallest, −4: losses ≤ 4 are kept.
        Assert.Equal([true, true, true, true, false, false, true, false], keep);
    }

    [Fact]
    public void Rho1_scores_the_excess_loss_over_the_reference_and_keeps_the_top_fraction()
    {
        float[] reference = [1, 1, 1, 1, 1, 1, 1, 1];
        var options = new SelectionOptions { Strategy = "rho1", Keep = 0.25 }.With(new Rho1Settings { ReferenceLosses = "sidecar.bin" });
        var (scores, keep, _) = Run(options, Stats(reference));
        Assert.Equal(Loss.Select(l => l - 1), scores);
        // Top 0.25 of 8 = 2 tokens: the threshold is the 2nd largest, 5 (VaR_0.75, the 6th smallest, would keep a third).
        Assert.Equal([false, false, false, false, false, true, false, true], keep);
        Assert.Equal(0.75, StrategyRegistry.Create(options).Alpha, 1e-12);
    }

    [Theory]
    [InlineData(KdScore.TeacherEntropy)]
    [InlineData(KdScore.TeacherLoss)]
    [InlineData(KdScore.Kl)]
    public void Eslm_kd_scores_by_the_chosen_teacher_statistic(KdScore score)
    {
        float[] tl = [1, 2, 3, 4, 5, 6, 7, 8], te = [8, 7, 6, 5, 4, 3, 2, 1], kl = [0, 1, 0, 1, 0, 1, 0, 1];
        var options = new SelectionOptions { Strategy = "eslm-kd", Alpha = 0.5 }.With(new EslmKdSettings { Teacher = "t", KdScore = score });
        var (scores, _, _) = Run(options, Stats(teacherLoss: tl, teacherEntropy: te, kl: kl));
        Assert.Equal(score switch { KdScore.TeacherLoss => tl, KdScore.TeacherEntropy => te, _ => kl }, scores);
        Assert.Equal(score == KdScore.Kl, StrategyRegistry.Create(options).Needs.TeacherKl);
    }

    [Fact]
    public void Random_keeps_exactly_the_keep_fraction_and_depends_only_on_its_seed()
    {
        bool[] Mask(ulong seed) => Run(new SelectionOptions { Strategy = "random", Keep = 0.5, Seed = seed }, Stats()).Keep;
        Assert.Equal(4, Mask(1).Count(k => k));
        Assert.Equal(Mask(1), Mask(1));
        Assert.NotEqual(Mask(1), Mask(2));
    }

    [Fact]
    public void Hierarchical_drops_the_sequences_below_the_sequence_level_quantile()
    {
        var selector = StrategyRegistry.Create(new SelectionOptions { Strategy = "hierarchical" }.With(new HierarchicalSettings { SequenceAlpha = 0.5 }));
        float[] loss = [1, 1, 5, 5, 9, 9], entropy = new float[6];
        var kept = selector.SelectSequences(new TokenStats { Loss = loss, Entropy = entropy, SequenceLength = 2 }, batchSize: 3);
        Assert.NotNull(kept);
        Assert.Equal([1, 2], kept); // means 1, 5, 9: VaR_0.5 = the 2nd smallest (5)
    }

    [Fact]
    public void Ada_eslm_starts_at_alpha_start_under_the_schedule()
    {
        var selector = StrategyRegistry.Create(new SelectionOptions { Strategy = "ada-eslm" }.With(new AdaEslmSettings { AlphaStart = 0.3 }));
        Assert.Equal(0.3, selector.Alpha);
    }

    [Fact]
    public void Every_strategy_is_listed_once_in_its_order_with_settings_keys_that_do_not_clash()
    {
        // Derived, not pinned: every IStrategy class of the library, once, by Order; a new built-in edits nothing here.
        var builtIn = typeof(StrategyRegistry).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(IStrategy).IsAssignableFrom(t))
            .Select(t => (StrategyDefinition)t.GetProperty(nameof(IStrategy.Definition))!.GetValue(null)!)
            .OrderBy(d => d.Order).Select(d => d.Name).ToList();
        Assert.Equal(builtIn, StrategyRegistry.Names);
        Assert.Equal(builtIn.Count, builtIn.Distinct().Count());
        Assert.Equal("clm", StrategyRegistry.Names.First()); // the baseline leads every listing
        var keys = SelectionBinding.AllKeys.ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
        Assert.Contains("kd_temperature", keys);
    }

    [Fact]
    public void Options_round_trip_through_their_json_form()
    {
        var options = new SelectionOptions { Strategy = "eslm-kd", Alpha = 0.3, Scope = SelectionScope.Sequence }
            .With(new EslmKdSettings { Teacher = "t", KdScore = KdScore.Kl, KdLambda = 0.5f });
        var json = SelectionBinding.ToJson(options);
        Assert.Equal("kl", (string?)json["kd_score"]);
        Assert.Equal(options, SelectionBinding.FromJson(json));
        Assert.Contains("alpah", Assert.Throws<ArgumentException>(() => SelectionBinding.FromJson(new() { ["alpah"] = 1 })).Message);
    }

    [Fact]
    public void Run_json_records_the_strategy_with_only_the_shared_options_and_settings_it_uses()
    {
        var clm = SelectionBinding.ToJson(new SelectionOptions { Strategy = "clm" });
        Assert.Equal(["strategy", "scope", "normalize"], clm.Select(p => p.Key));
        var rho1 = SelectionBinding.ToJson(new SelectionOptions { Strategy = "rho1", Keep = 0.7 }.With(new Rho1Settings { Reference = "r" }));
        Assert.Equal(0.7, (double)rho1["keep"]!);
        Assert.False(rho1.ContainsKey("alpha")); // rho1 reads keep, not α
        Assert.False(rho1.ContainsKey("kd_score")); // another strategy's setting
        Assert.Equal("r", (string?)rho1["reference"]);
    }

    [Fact]
    public void A_selection_value_of_the_wrong_json_type_names_the_key_and_the_expected_type()
    {
        var e = Assert.Throws<ArgumentException>(() => SelectionBinding.FromJson(new() { ["alpha"] = "0.3" }));
        Assert.Contains("'alpha' must be a number", e.Message);
        e = Assert.Throws<ArgumentException>(() => SelectionBinding.FromJson(new() { ["seed"] = -1 }));
        Assert.Contains("'seed' must be an integer from 0 to 18446744073709551615", e.Message);
    }
}
