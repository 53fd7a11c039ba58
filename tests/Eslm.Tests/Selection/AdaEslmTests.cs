using Eslm.Selection;
using Eslm.Selection.Strategies;
using Xunit;

namespace Eslm.Tests.Selection;

public class AdaEslmTests
{
    [Fact]
    public void Ratio_rule_follows_the_documented_update_on_a_scripted_loss_sequence()
    {
        var o = new SelectionOptions { Strategy = "ada-eslm", Alpha = 0.5 }
            .With(new AdaEslmSettings { AdaRule = AdaRule.Ratio, AdaTargetRatio = 1.5, AdaRate = 0.1, AlphaMin = 0.2, AlphaMax = 0.8 });
        var ada = new AdaEslmSelector(o);
        var script = new (double Kept, double All)[] { (2.0, 2.0), (2.2, 2.0), (4.0, 2.0), (12.0, 2.0), (2.0, 2.0) };
        double alpha = 0.5;
        var expected = new List<double>();
        foreach (var (kept, all) in script)
        {
            alpha = Math.Clamp(alpha + 0.1 * (1.5 - kept / all), 0.2, 0.8);
            expected.Add(alpha);
        }
        var actual = new List<double>();
        for (int i = 0; i < script.Length; i++)
        {
            ada.AfterStep(new SelectionStepStats { LossKept = script[i].Kept, LossAll = script[i].All }, i, 100);
            actual.Add(ada.Alpha);
        }
        Assert.Equal(expected, actual);
        Assert.Equal(0.2, actual[3], 1e-12); // clamped at the floor after a ratio of 6
    }

    [Theory]
    [InlineData("linear", 0, 0.2)]
    [InlineData("linear", 10, 0.6)]
    [InlineData("linear", 5, 0.4)]
    [InlineData("cosine", 5, 0.4)]
    [InlineData("cosine", 10, 0.6)]
    public void Schedule_rule_goes_from_alpha_start_to_alpha_end(string shape, int step, double alpha)
    {
        var s = new AdaEslmSettings { AlphaStart = 0.2, AlphaEnd = 0.6, AdaSchedule = shape };
        Assert.Equal(alpha, AdaEslmSelector.Scheduled(s, step, 11), 1e-12);
    }

    [Theory]
    [InlineData("linear", 0, 0.0)]   // p = 0 < w: plain CLM
    [InlineData("linear", 1, 0.0)]   // p = 0.125 < w
    [InlineData("linear", 2, 0.1)]   // p = w: the schedule starts at α_start
    [InlineData("linear", 4, 0.3)]   // (0.5 − 0.25)/0.75 = 1/3 of the way from 0.1 to 0.7
    [InlineData("linear", 5, 0.4)]   // halfway
    [InlineData("linear", 8, 0.7)]   // the last step reaches α_end
    [InlineData("cosine", 1, 0.0)]
    [InlineData("cosine", 2, 0.1)]
    [InlineData("cosine", 5, 0.4)]   // the half cosine is at its midpoint halfway through the remaining run
    [InlineData("cosine", 8, 0.7)]
    public void A_warm_start_keeps_alpha_zero_then_runs_the_schedule_over_the_rest(string shape, int step, double alpha)
    {
        // 9 steps: progress k/8 is exact in binary, so the boundary at w = 0.25 (step 2) is unambiguous.
        var s = new AdaEslmSettings { AlphaStart = 0.1, AlphaEnd = 0.7, AdaSchedule = shape, AdaWarmup = 0.25 };
        Assert.Equal(alpha, AdaEslmSelector.Scheduled(s, step, 9), 1e-12);
    }

    [Fact]
    public void A_warm_start_begins_at_alpha_zero_and_the_selector_follows_the_schedule_step_by_step()
    {
        var o = new SelectionOptions { Strategy = "ada-eslm" }.With(new AdaEslmSettings { AlphaStart = 0, AlphaEnd = 0.6, AdaWarmup = 0.25 });
        var ada = new AdaEslmSelector(o);
        var alphas = new List<double> { ada.Alpha };
        for (int step = 0; step < 8; step++)
        {
            ada.AfterStep(new SelectionStepStats(), step, 9);
            alphas.Add(ada.Alpha);
        }
        // Steps 0-1 plain CLM, then 0 → 0.6 over the remaining 6 intervals.
        double[] expected = [0, 0, 0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], alphas[i], 1e-12);
    }

    [Fact]
    public void Without_a_warm_start_the_schedule_is_bit_identical_to_the_plain_formula()
    {
        // Golden runs depend on this: w = 0 must not change a single bit of α.
        foreach (var shape in new[] { "linear", "cosine" })
        {
            var s = new AdaEslmSettings { AlphaStart = 0.1, AlphaEnd = 0.7, AdaSchedule = shape };
            for (int step = 0; step < 37; step++)
            {
                double p = step / 36.0;
                double plain = 0.1 + (0.7 - 0.1) * (shape == "cosine" ? 0.5 * (1 - Math.Cos(Math.PI * p)) : p);
                Assert.Equal(plain, AdaEslmSelector.Scheduled(s, step, 37));
            }
        }
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void A_warm_start_outside_zero_to_one_is_refused(double warmup)
    {
        var e = Assert.Throws<ArgumentException>(() => new AdaEslmSettings { AdaWarmup = warmup }.Validate(true));
        Assert.Contains("--ada-warmup must be in [0, 1)", e.Message);
    }

    [Fact]
    public void A_warm_start_with_the_ratio_rule_is_an_error_not_an_ignored_option()
    {
        var e = Assert.Throws<ArgumentException>(() => new AdaEslmSettings { AdaRule = AdaRule.Ratio, AdaWarmup = 0.2 }.Validate(true));
        Assert.Contains("--ada-warmup", e.Message);
        Assert.Contains("schedule", e.Message);
        new AdaEslmSettings { AdaRule = AdaRule.Ratio }.Validate(true); // the default 0 is fine
    }

    [Fact]
    public void The_label_mentions_the_warm_start_only_when_set()
    {
        var plain = new SelectionOptions { Strategy = "ada-eslm" }.With(new AdaEslmSettings { AlphaStart = 0, AlphaEnd = 0.6 });
        Assert.Equal("ada-eslm schedule α 0→0.6", AdaEslmSelector.Definition.Describe(plain));
        var warm = plain.With(new AdaEslmSettings { AlphaStart = 0, AlphaEnd = 0.6, AdaWarmup = 0.3 });
        Assert.Equal("ada-eslm schedule α 0→0.6, warm 0.3", AdaEslmSelector.Definition.Describe(warm));
    }

    [Fact]
    public void The_warm_start_is_in_run_json_and_reads_back()
    {
        var plain = new SelectionOptions { Strategy = "ada-eslm" };
        Assert.Equal(0, (double)SelectionBinding.ToJson(plain)["ada_warmup"]!);
        Assert.Equal(plain, SelectionBinding.FromJson(SelectionBinding.ToJson(plain)));
        var warm = plain.With(new AdaEslmSettings { AlphaStart = 0, AdaWarmup = 0.3 });
        var json = SelectionBinding.ToJson(warm);
        Assert.Equal(0.3, (double)json["ada_warmup"]!);
        Assert.Equal(warm, SelectionBinding.FromJson(json));
    }

    [Fact]
    public void Alpha_round_trips_through_the_saved_state()
    {
        var o = new SelectionOptions { Strategy = "ada-eslm", Alpha = 0.5 }.With(new AdaEslmSettings { AdaRule = AdaRule.Ratio });
        var a = new AdaEslmSelector(o);
        a.AfterStep(new SelectionStepStats { LossKept = 1, LossAll = 2 }, 0, 10);
        var b = new AdaEslmSelector(o);
        b.RestoreState(a.SaveState());
        Assert.Equal(a.Alpha, b.Alpha);
    }
}
