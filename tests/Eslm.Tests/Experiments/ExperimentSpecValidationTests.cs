using System.Text.Json.Nodes;
using Eslm.Experiments;
using Xunit;

namespace Eslm.Tests.Experiments;

/// <summary>Experiment files that would give wrong reports or never end are refused when read (issue 13).</summary>
public class ExperimentSpecValidationTests
{
    private static ExperimentSpec Parse(string extra, string budget = "{\"steps\": 2}") => ExperimentSpec.Parse((JsonObject)JsonNode.Parse($$"""
        {"name": "t", "model": "tiny", "data": "d", "budget": {{budget}}, "arms": [{"strategy": "clm"}] {{extra}}}
        """)!);

    [Fact]
    public void Two_eval_sets_with_one_name_are_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => Parse(", \"eval\": [{\"name\": \"x\", \"data\": \"a\"}, {\"name\": \"x\", \"data\": \"b\"}]"));
        Assert.Contains("two eval sets are named 'x'", e.Message);
    }

    [Fact]
    public void Two_eval_sets_whose_default_names_clash_are_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => Parse(", \"eval\": [{\"data\": \"one/val\"}, {\"data\": \"two/val\"}]"));
        Assert.Contains("'val'", e.Message);
    }

    private static ExperimentSpec ParseWithReference(string referenceModel, string train = "") => ExperimentSpec.Parse((JsonObject)JsonNode.Parse($$"""
        {"name": "t", "model": "tiny", "data": "d", "budget": {"steps": 2}, {{train}}
         "reference": {"data": "clean", "model": {{referenceModel}}},
         "arms": [{"strategy": "clm"}, {"name": "rho1", "strategy": "rho1", "keep": 0.5, "reference": "@reference"}]}
        """)!);

    [Fact]
    public void A_reference_loaded_as_a_model_with_another_vocabulary_is_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => ParseWithReference("""{"preset": "tiny", "vocab": 256}"""));
        Assert.Contains("arm rho1 loads the reference as a model, whose vocabulary (256) differs from model tiny's (50257)", e.Message);
    }

    [Fact]
    public void An_arm_reading_windows_longer_than_the_reference_context_is_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => ParseWithReference("""{"preset": "tiny", "context": 16}, "train": {"seq": 16}""", "\"train\": {\"seq\": 32},"));
        Assert.Contains("arm rho1: train.seq 32 exceeds the context of the reference's model", e.Message);
    }

    [Fact]
    public void A_reference_of_the_arms_shape_is_accepted() => Assert.NotNull(ParseWithReference("\"tiny\"").Reference);

    [Fact]
    public void Two_eval_sets_whose_names_spell_one_plot_file_are_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => Parse(", \"eval\": [{\"name\": \"a b\", \"data\": \"x\"}, {\"name\": \"a-b\", \"data\": \"y\"}]"));
        Assert.Contains("eval sets 'a b' and 'a-b' would share the plot file name 'a-b'", e.Message);
    }
}

public class ExperimentBudgetTests
{
    private static ExperimentSpec Parse(string budget) => ExperimentSpec.Parse((JsonObject)JsonNode.Parse($$"""
        {"name": "t", "model": "tiny", "data": "d", "budget": {{budget}}, "arms": [{"strategy": "clm"}]}
        """)!);

    [Theory]
    [InlineData("{\"steps\": 1e20}", "at most")]
    [InlineData("{\"steps\": -5}", "must be > 0")]
    [InlineData("{\"flops_accounted\": -1e12}", "must be > 0")]
    [InlineData("{\"wall_seconds\": 0}", "must be > 0")]
    [InlineData("{\"flops_executed\": 1e400}", "")]
    public void An_unbounded_or_non_positive_budget_is_rejected(string budget, string message)
    {
        var e = Record.Exception(() => Parse(budget));
        Assert.True(e is ArgumentException or System.Text.Json.JsonException or FormatException or InvalidOperationException, e?.ToString() ?? "accepted");
        Assert.Contains(message, e!.Message);
    }

    [Fact]
    public void A_non_step_budget_caps_steps_without_overflow()
    {
        var spec = ExperimentSpec.Parse((JsonObject)JsonNode.Parse("""
            {"name": "t", "model": "tiny", "data": "d", "budget": {"wall_seconds": 10}, "train": {"steps": 2000000000}, "arms": [{"strategy": "clm"}]}
            """)!);
        Assert.True(spec.Points[0].MaxSteps > 0);
    }
}
