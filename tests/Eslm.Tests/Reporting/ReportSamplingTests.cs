using System.Text.Json.Nodes;
using Eslm.Experiments;
using Eslm.Reporting;
using Eslm.Tests.Experiments;
using Xunit;

namespace Eslm.Tests.Reporting;

/// <summary>The report's model line says how the runs drew their training windows (train.sampling).</summary>
public class ReportSamplingTests
{
    private const string Model = """ "model": {"preset": "tiny", "layers": 1, "heads": 2, "channels": 16, "context": 8, "vocab": 101}, "budgets": [{"steps": 2}] """;

    [Theory]
    [InlineData(null, "random windows (nanoGPT's, with replacement)")]
    [InlineData("sequential", "sequential windows (llm.c's order)")]
    [InlineData("shuffled", "shuffled windows (each once per epoch, in a seeded order)")]
    public void The_model_line_names_the_sampling(string? sampling, string expected)
    {
        string train = sampling is null
            ? """{"batch": 2, "seq": 8, "steps": 3, "warmup": 1}"""
            : $$"""{"batch": 2, "seq": 8, "steps": 3, "warmup": 1, "sampling": "{{sampling}}"}""";
        var spec = ExperimentSpec.Parse((JsonObject)JsonNode.Parse(ExperimentAxesSpecTests.Spec(Model, train))!);
        string report = ExperimentReport.Markdown(spec, [], [], []);
        string modelLine = report.Split('\n').Single(l => l.StartsWith("Model ", StringComparison.Ordinal));
        Assert.Contains($"data `noisy`, {expected};", modelLine);
    }
}
