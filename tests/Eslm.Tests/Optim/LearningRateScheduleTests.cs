using Eslm.Optim;
using Xunit;

namespace Eslm.Tests.Optim;

public class LearningRateScheduleTests
{
    // Max 1, 10 warmup steps, 110 steps in all, decay to 10%: cosine over steps 10..110.
    private static readonly LearningRateSchedule Schedule = new(1f, 10, 110, 0.1f);

    [Theory]
    [InlineData(0, 0.1)]                    // warmup: max·(step + 1)/warmup
    [InlineData(4, 0.5)]
    [InlineData(9, 1.0)]                    // end of warmup: the full rate
    [InlineData(10, 1.0)]                   // cosine starts at max (ratio 0)
    [InlineData(35, 0.8681980515339464)]    // ratio 1/4: 0.1 + 0.45·(1 + cos(π/4))
    [InlineData(60, 0.55)]                  // middle, ratio 1/2: 0.1 + 0.45·(1 + 0)
    [InlineData(109, 0.10022204783542078)]  // ratio 0.99: 0.1 + 0.45·(1 + cos(0.99π))
    [InlineData(110, 0.1)]                  // end: the minimum
    [InlineData(500, 0.1)]                  // beyond the end: stays at the minimum
    public void Warmup_then_cosine_gives_the_hand_computed_rate(int step, double expected)
    {
        Assert.Equal(expected, Schedule.At(step), 1e-6);
    }

    [Theory]
    [InlineData(2.5, 0.3)]   // warmup counts whole steps started: (⌊2.5⌋ + 1)/10
    [InlineData(60.0, 0.55)]
    [InlineData(85.0, 0.1 + 0.45 * 0.2928932188134524)] // ratio 3/4: 1 + cos(3π/4) = 0.2928…
    [InlineData(200.0, 0.1)]
    public void A_fractional_position_follows_the_same_schedule(double position, double expected)
    {
        Assert.Equal(expected, Schedule.At(position), 1e-6);
    }

    [Fact]
    public void Without_room_for_decay_after_warmup_the_rate_is_the_minimum()
    {
        var s = new LearningRateSchedule(1f, 10, 10, 0.1f);
        Assert.Equal(1.0, s.At(9), 1e-6);
        Assert.Equal(0.1, s.At(10), 1e-6);
    }
}
