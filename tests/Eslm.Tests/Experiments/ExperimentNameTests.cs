using System.Text.Json.Nodes;
using Eslm.Experiments;
using Xunit;

namespace Eslm.Tests.Experiments;

/// <summary>Names that become folders stay inside the experiment folder and clear of the runner's own files.</summary>
public class ExperimentNameTests
{
    private static ExperimentSpec Parse(string name, string arm, string extra = "") => ExperimentSpec.Parse((JsonObject)JsonNode.Parse($$"""
        {"name": "{{name}}", "model": "tiny", "data": "d", "budget": {"steps": 2}, "arms": [{"name": "{{arm}}", "strategy": "clm"}] {{extra}}}
        """)!);

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("")]
    [InlineData("a/b")]
    public void An_experiment_name_that_is_no_plain_folder_is_refused(string name)
    {
        var e = Assert.Throws<ArgumentException>(() => Parse(name, "clm"));
        Assert.Contains("\"name\" must be a plain folder name", e.Message);
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("")]
    [InlineData("reference")]
    [InlineData("plots")]
    [InlineData("report.md")]
    [InlineData("summary.json")]
    [InlineData("experiment.json")]
    [InlineData("budget-2")]
    [InlineData("lr-0.003")]
    [InlineData("step-5")]
    [InlineData(".lock")]
    [InlineData("x.lock")]
    [InlineData("reference.lock")]
    public void An_arm_name_outside_the_folder_or_taken_by_the_runner_is_refused(string arm)
    {
        var e = Assert.Throws<ArgumentException>(() => Parse("t", arm));
        Assert.Contains($"arm name '{arm}' must be a plain folder name of its own", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void An_arm_named_like_a_model_folder_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => ExperimentSpec.Parse((JsonObject)JsonNode.Parse("""
            {"name": "t", "models": ["tiny", {"preset": "tiny", "layers": 1}], "data": "d", "budget": {"steps": 2},
             "arms": [{"name": "tiny-custom", "strategy": "clm"}]}
            """)!));
        Assert.Contains("arm name 'tiny-custom'", e.Message);
    }

    [Fact]
    public void Ordinary_arm_names_are_kept()
    {
        Assert.Equal("eslm-loss_0.5", Parse("t", "eslm-loss_0.5").Arms[0].Name);
        Assert.Equal("references", Parse("t", "references").Arms[0].Name);
    }

    [Fact]
    public void An_eval_set_with_an_empty_name_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => Parse("t", "clm", ", \"eval\": [{\"name\": \"\", \"data\": \"d\"}]"));
        Assert.Contains("needs a \"name\"", e.Message);
        Assert.Throws<ArgumentException>(() => Parse("t", "clm", ", \"eval\": [{\"data\": \"/\"}]"));
    }
}
