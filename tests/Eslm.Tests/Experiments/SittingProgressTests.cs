using Eslm.Experiments;
using Xunit;

namespace Eslm.Tests.Experiments;

/// <summary>Issue 23: a sitting of `experiment run` numbers its runs and estimates what is left from its own pace.</summary>
public class SittingProgressTests
{
    [Fact]
    public void The_estimate_is_the_budget_left_at_the_budget_per_second_of_the_runs_trained()
    {
        var sitting = new SittingProgress([1e13, 1e13, 2e13]);
        Assert.Equal("[1/3]", sitting.Label(0));
        Assert.Equal("[3/3]", sitting.Label(2));
        Assert.Equal("sitting: 1 run trained in 10s, 2 left; about 30s left at this pace", sitting.Trained(0, 10));
        Assert.Equal("sitting: 2 runs trained in 30s, 1 left; about 30s left at this pace", sitting.Trained(1, 20));
        Assert.Null(sitting.Trained(2, 25));
    }

    [Fact]
    public void Runs_skipped_by_this_sitting_leave_the_estimate()
    {
        var sitting = new SittingProgress([1e13, 4e13, 1e13]);
        sitting.Skipped(1); // another worker took it
        Assert.Equal("sitting: 1 run trained in 1m40s, 1 left; about 1m40s left at this pace", sitting.Trained(0, 100));
    }

    [Fact]
    public void Long_estimates_read_in_hours_and_minutes()
    {
        var sitting = new SittingProgress([1, 60]);
        Assert.Equal("sitting: 1 run trained in 2m05s, 1 left; about 2h05m left at this pace", sitting.Trained(0, 125));
    }

    [Fact]
    public void A_resumed_run_counts_only_the_share_of_its_budget_trained_in_this_sitting()
    {
        // Resumed at 60% of its budget: 40 s for 0.4e13 is 100 s per 1e13, so the two full runs left take 200 s, not 80 s.
        var sitting = new SittingProgress([1e13, 1e13, 1e13]);
        Assert.Equal("sitting: 1 run trained in 40s, 2 left; about 3m20s left at this pace", sitting.Trained(0, 40, share: 0.4));
    }
}
