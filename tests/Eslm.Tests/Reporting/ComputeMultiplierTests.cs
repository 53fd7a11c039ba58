using Eslm.Reporting;
using Xunit;

namespace Eslm.Tests.Reporting;

/// <summary>The compute-equivalent multiplier on synthetic results with known answers (issue 23).</summary>
public class ComputeMultiplierTests
{
    // clm: loss 6 at 1e12 FLOPs, 5 at 4e12, 4 at 16e12 — linear in log cost, so clm reaches 4.5 at 8e12.
    private static readonly CostLoss[] Clm = [new(1e12, 6), new(4e12, 5), new(16e12, 4)];

    [Fact]
    public void An_arm_reaching_clms_loss_with_half_the_compute_is_worth_two()
    {
        var m = ComputeMultiplier.OfSeed(Clm, new CostLoss(2e12, 5));
        Assert.Equal(2.0, m.Value, 1e-12);
        Assert.Equal(BoundSide.None, m.Bound);
    }

    [Fact]
    public void Between_budgets_the_baseline_is_interpolated_linearly_in_log_cost()
    {
        var m = ComputeMultiplier.OfSeed(Clm, new CostLoss(8e12, 4.5)); // clm needs √(4e12·16e12) = 8e12
        Assert.Equal(1.0, m.Value, 1e-12);
        var worse = ComputeMultiplier.OfSeed(Clm, new CostLoss(4e12, 5.5)); // clm needs 2e12
        Assert.Equal(0.5, worse.Value, 1e-12);
    }

    [Fact]
    public void Beyond_the_baselines_range_the_result_is_a_bound_at_the_range_end()
    {
        var better = ComputeMultiplier.OfSeed(Clm, new CostLoss(4e12, 3.5));
        Assert.Equal((4.0, BoundSide.AtLeast), (better.Value, better.Bound)); // clm's 16e12 did not reach 3.5
        var worse = ComputeMultiplier.OfSeed(Clm, new CostLoss(4e12, 6.5));
        Assert.Equal((0.25, BoundSide.AtMost), (worse.Value, worse.Bound)); // clm's 1e12 already did better
    }

    [Fact]
    public void A_non_monotone_baseline_uses_its_lower_envelope()
    {
        // clm's 8e12 run ended worse than its 4e12 run: it does not count, 4e12 → 16e12 is the envelope segment.
        CostLoss[] clm = [new(1e12, 6), new(4e12, 5), new(8e12, 5.2), new(16e12, 4)];
        Assert.Equal([new(1e12, 6), new(4e12, 5), new(16e12, 4)], ComputeMultiplier.Frontier(clm));
        Assert.Equal(1.0, ComputeMultiplier.OfSeed(clm, new CostLoss(8e12, 4.5)).Value, 1e-12);
        // An equal loss at a larger cost is not an improvement either.
        Assert.Equal(2, ComputeMultiplier.Frontier([new(1e12, 6), new(2e12, 6), new(3e12, 5)]).Count);
    }

    [Fact]
    public void Seeds_combine_as_a_geometric_mean_with_a_t_interval_on_the_log()
    {
        var e = ComputeMultiplier.Combine([new(2, BoundSide.None), new(8, BoundSide.None)]);
        Assert.Equal(4.0, e.Mean, 1e-12);
        double half = SeedStatistics.TQuantile975(1) * Math.Sqrt(2) * Math.Log(2) / Math.Sqrt(2); // t · sd / √n; sd of {ln 2, ln 8} is √2·ln 2
        Assert.Equal(4.0 * Math.Exp(-half), e.Low, 1e-9);
        Assert.Equal(4.0 * Math.Exp(half), e.High, 1e-9);
        Assert.Equal(2, e.N);
        Assert.Equal(BoundSide.None, e.Bound);
        Assert.StartsWith("4.00× [", e.Text());
    }

    [Fact]
    public void The_report_marks_a_multiplier_only_when_its_interval_excludes_1()
    {
        var saves = ComputeMultiplier.Combine([new(2.0, BoundSide.None), new(2.2, BoundSide.None), new(1.9, BoundSide.None)]);
        Assert.Equal(Verdict.Better, saves.Verdict);
        Assert.EndsWith("] ✓", saves.MarkedText());
        var costs = ComputeMultiplier.Combine([new(0.5, BoundSide.None), new(0.45, BoundSide.None), new(0.55, BoundSide.None)]);
        Assert.Equal(Verdict.Worse, costs.Verdict);
        Assert.EndsWith("] ✗", costs.MarkedText());
        var wide = ComputeMultiplier.Combine([new(2, BoundSide.None), new(8, BoundSide.None)]); // t with 1 degree of freedom: [0.0…, 10…]
        Assert.Equal(Verdict.NotDistinguishable, wide.Verdict);
        Assert.Equal(wide.Text(), wide.MarkedText());
        // Every seed beyond clm's range, or one seed: no interval, so no mark, however far from 1.
        var bound = ComputeMultiplier.Combine([new(8, BoundSide.AtLeast), new(9, BoundSide.AtLeast), new(10, BoundSide.AtLeast)]);
        Assert.Equal((Verdict.NoInterval, "> 8.96×"), (bound.Verdict, bound.MarkedText()));
        Assert.Equal((Verdict.NoInterval, "3.00×"), (ComputeMultiplier.Combine([new(3, BoundSide.None)]) is var one ? (one.Verdict, one.MarkedText()) : default));
    }

    [Fact]
    public void A_bounded_seed_makes_the_combined_figure_a_bound_and_bounds_both_ways_give_none()
    {
        var atLeast = ComputeMultiplier.Combine([new(2, BoundSide.None), new(8, BoundSide.AtLeast)]);
        Assert.Equal((BoundSide.AtLeast, "> 4.00×"), (atLeast.Bound, atLeast.Text()));
        Assert.True(double.IsNaN(atLeast.Low));
        var atMost = ComputeMultiplier.Combine([new(0.5, BoundSide.AtMost)]);
        Assert.Equal("< 0.50×", atMost.Text());
        var mixed = ComputeMultiplier.Combine([new(0.5, BoundSide.AtMost), new(8, BoundSide.AtLeast)]);
        Assert.Equal((BoundSide.Mixed, "mixed"), (mixed.Bound, mixed.Text()));
    }

    [Fact]
    public void Missing_values_are_left_out_and_no_baseline_is_an_error()
    {
        Assert.Equal(0, ComputeMultiplier.Combine([new(double.NaN, BoundSide.None)]).N);
        Assert.True(double.IsNaN(ComputeMultiplier.OfSeed(Clm, new CostLoss(1e12, double.NaN)).Value));
        Assert.Throws<ArgumentException>(() => ComputeMultiplier.OfSeed([new(1e12, double.NaN)], new CostLoss(1e12, 5)));
    }
}
