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
        Assert.Equal(0.2, actual[3], 12); // clamped at the floor after a ratio of 6
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
        Assert.Equal(alpha, AdaEslmSelector.Scheduled(s, step, 11), 12);
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
