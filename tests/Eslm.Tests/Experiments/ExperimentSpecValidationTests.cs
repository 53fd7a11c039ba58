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
}
