using System.Text.Json.Nodes;
using Eslm.Experiments;
using Xunit;

namespace Eslm.Tests.Experiments;

/// <summary>Issue 23 items 2 and 3: "baseline_budgets" and "lrs" in an experiment file (parsing, validation, layout).</summary>
public class ExperimentAxesSpecTests
{
    private const string Model = """{"preset": "tiny", "layers": 1, "heads": 2, "channels": 16, "context": 8, "vocab": 101}""";

    private static ExperimentSpec Parse(string json) => ExperimentSpec.Parse((JsonObject)JsonNode.Parse(json)!);

    internal static string Spec(string axes, string train = """{"batch": 2, "seq": 8, "steps": 3, "warmup": 1}""",
        string arms = """[{"name": "clm", "strategy": "clm"}, {"name": "eslm", "strategy": "eslm", "alpha": 0.5}]""") => $$"""
        {
          "name": "axes", {{axes}}, "train": {{train}}, "data": "noisy", "seeds": [1],
          "val_every": 2, "val_batches": 1, "checkpoint_every": 2,
          "eval": [{"name": "noisy", "data": "noisy", "domain": "in"}],
          "arms": {{arms}}
        }
        """;

    [Fact]
    public void Baseline_budgets_add_points_where_only_the_baseline_runs_in_budget_order_with_stretched_schedules()
    {
        var spec = Parse(Spec($$""" "model": {{Model}}, "budgets": [{"flops_accounted": 1e6}, {"flops_accounted": 2e6}], "baseline_budgets": [{"flops_accounted": 4e6}, {"flops_accounted": 5e5}] """));
        Assert.Equal([5e5, 1e6, 2e6, 4e6], spec.Points.Select(p => p.Budget.Value));
        Assert.Equal([true, false, false, true], spec.Points.Select(p => p.BaselineOnly));
        Assert.Equal([0, 1, 2, 3], spec.Points.Select(p => p.BudgetIndex));
        // the schedule is stretched from the arms' first budget (3 steps at 1e6), as for any budget
        Assert.Equal([2, 3, 6, 12], spec.Points.Select(p => p.NominalSteps));
        Assert.Equal(["budget-5e5", "budget-1e6", "budget-2e6", "budget-4e6"], spec.Points.Select(p => p.Folder));
        Assert.Equal(["clm"], spec.ArmsAt(spec.Points[0]).Select(a => a.Name));
        Assert.Equal(["clm", "eslm"], spec.ArmsAt(spec.Points[1]).Select(a => a.Name));
        Assert.Equal(Path.Combine("r", "budget-4e6", "clm", "seed1"), ExperimentRunner.SeedDirectory("r", spec.Points[3], "clm", 1));
        Assert.Equal(6, ExperimentRunner.Runs(spec, spec.Points).Count()); // 2 + 2 arms' runs, 1 + 1 baseline-only
    }

    [Fact]
    public void A_single_budget_with_baseline_budgets_gets_budget_folders_and_models_may_carry_their_own()
    {
        var one = Parse(Spec($$""" "model": {{Model}}, "budget": {"steps": 4}, "baseline_budgets": [{"steps": 8}] """));
        Assert.Equal(["budget-4", "budget-8"], one.Points.Select(p => p.Folder));
        var models = Parse(Spec($$"""
            "models": [{"model": {{Model}}, "budgets": [{"steps": 2}], "baseline_budgets": [{"steps": 1}, {"steps": 4}]}, {"model": "d2", "budgets": [{"steps": 3}]}],
            "baseline_budgets": [{"steps": 6}]
            """));
        Assert.Equal([(1.0, true), (2.0, false), (4.0, true), (3.0, false), (6.0, true)], models.Points.Select(p => (p.Budget.Value, p.BaselineOnly)));
        Assert.Equal(Path.Combine("d2", "budget-6"), models.Points[4].Folder);
    }

    [Fact]
    public void Learning_rates_add_an_lr_folder_level_and_without_them_the_layout_is_unchanged()
    {
        var spec = Parse(Spec($$""" "model": {{Model}}, "budget": {"steps": 2}, "lrs": [0.003, 0.0006, 1e-5] """));
        Assert.Equal([0.003, 0.0006, 1e-5], spec.LearningRates!);
        Assert.Equal([0.003, 0.0006, 1e-5], spec.RunRates.Select(r => r!.Value));
        Assert.Equal("", spec.Points[0].Folder);
        Assert.Equal(Path.Combine("r", "lr-0.003", "clm", "seed1"), ExperimentRunner.SeedDirectory("r", spec.Points[0], "clm", 1, 0.003));
        Assert.Equal("lr-0.0006", GridPoint.LearningRateFolder(6e-4));
        Assert.Equal("lr-1e-5", GridPoint.LearningRateFolder(1e-5));
        Assert.Equal(6, ExperimentRunner.Runs(spec, spec.Points).Count());
        var grid = Parse(Spec($$""" "model": {{Model}}, "budgets": [{"steps": 2}, {"steps": 4}], "lrs": [0.01] """));
        Assert.Equal(Path.Combine("r", "budget-4", "lr-0.01", "eslm", "seed1"), ExperimentRunner.SeedDirectory("r", grid.Points[1], "eslm", 1, 0.01));
        var plain = Parse(Spec($$""" "model": {{Model}}, "budget": {"steps": 2} """));
        Assert.False(plain.HasLearningRateAxis);
        Assert.Equal([null], plain.RunRates);
        Assert.Equal(ExperimentRunner.SeedDirectory("r", "clm", 1), ExperimentRunner.SeedDirectory("r", plain.Points[0], "clm", 1, plain.RunRates[0]));
    }

    private const string Steps = """ "model": "tiny", "budgets": [{"steps": 2}, {"steps": 4}] """;

    [Theory]
    [InlineData(Steps + """, "baseline_budgets": [{"flops_accounted": 1e9}]""", "baseline_budgets\" are flops_accounted but the budgets are steps")]
    [InlineData(Steps + """, "baseline_budgets": [{"steps": 4}]""", "is also an arms' budget")]
    [InlineData(Steps + """, "baseline_budgets": [{"steps": 8}, {"steps": 8}]""", "listed twice")]
    [InlineData(Steps + """, "baseline_budgets": [{"steps": 0}]""", "must be > 0")]
    [InlineData(Steps + """, "baseline_budgets": [{"steps": 1}, {"flops_accounted": 1e9}]""", "one kind")]
    [InlineData(Steps + """, "baseline_budgets": []""", "non-empty list")]
    [InlineData(Steps + """, "baseline_budgets": {"steps": 8}""", "baseline_budgets")]
    [InlineData(Steps + """, "lrs": []""", "non-empty list")]
    [InlineData(Steps + """, "lrs": [0.01, 0]""", "positive and finite")]
    [InlineData(Steps + """, "lrs": [-0.01]""", "positive and finite")]
    [InlineData(Steps + """, "lrs": [1e300]""", "positive and finite")]
    [InlineData(Steps + """, "lrs": [0.01, 0.01]""", "must be distinct")]
    [InlineData(Steps + """, "lrs": ["fast"]""", "lrs")]
    public void Nonsense_baseline_budgets_and_rates_are_refused_with_the_reason(string axes, string reason)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => Parse(Spec(axes)));
        Assert.Contains(reason, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Baseline_budgets_need_a_clm_arm_and_lrs_refuse_a_train_lr_no_run_would_use()
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => Parse(Spec(Steps + """, "baseline_budgets": [{"steps": 8}]""",
            arms: """[{"name": "eslm", "strategy": "eslm"}]""")));
        Assert.Contains("needs a clm arm", e.Message);
        e = Assert.ThrowsAny<ArgumentException>(() => Parse(Spec(Steps + """, "lrs": [0.01]""", train: """{"steps": 3, "lr": 0.01}""")));
        Assert.Contains("give \"lrs\" or train.lr, not both", e.Message);
        e = Assert.ThrowsAny<ArgumentException>(() => Parse(Spec(Steps + """, "lrs": [0.01]""",
            arms: """[{"name": "clm", "strategy": "clm", "train": {"lr": 0.02}}]""")));
        Assert.Contains("arm clm: train.lr beside \"lrs\"", e.Message);
    }
}
