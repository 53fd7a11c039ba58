using System.Text.Json.Nodes;
using Eslm.Experiments;
using Xunit;

namespace Eslm.Tests.Experiments;

/// <summary>An arm with results is never relabelled with changed options (issue 13, item 4).</summary>
public class ExperimentArmChangeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("eslm-armchange-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private static ExperimentSpec Spec(double alpha, string extraArm = "", string description = "") => ExperimentSpec.Parse((JsonObject)JsonNode.Parse($$"""
        {
          "name": "t", "description": "{{description}}", "model": {"preset": "tiny", "layers": 1, "heads": 2, "channels": 16, "context": 8, "vocab": 101},
          "train": {"batch": 2, "seq": 8, "warmup": 0}, "data": "noisy", "budget": {"steps": 1}, "val_batches": 0,
          "arms": [{"name": "e", "strategy": "eslm", "alpha": {{alpha}}}{{extraArm}}]
        }
        """)!);

    [Fact]
    public void Changing_the_options_of_an_arm_with_results_is_refused_naming_the_arm_and_keys()
    {
        new ExperimentRunner(Spec(0.5), _dir, new TestHost()).Run();
        var e = Assert.Throws<InvalidOperationException>(() => new ExperimentRunner(Spec(0.3), _dir, new TestHost()).Run());
        Assert.Contains("arm e", e.Message);
        Assert.Contains("alpha", e.Message);
        Assert.DoesNotContain("keep", e.Message);
    }

    [Fact]
    public void Adding_an_arm_keeps_the_finished_ones()
    {
        new ExperimentRunner(Spec(0.5), _dir, new TestHost()).Run();
        var host = new TestHost();
        new ExperimentRunner(Spec(0.5, ", {\"name\": \"c\", \"strategy\": \"clm\"}"), _dir, host).Run();
        Assert.Contains(host.Logs, l => l.Contains("e: finished earlier, kept"));
        Assert.Contains(host.Logs, l => l.Contains("the experiment file changed (arms added: c); finished runs are kept"));
    }

    [Fact]
    public void Editing_only_the_description_says_so_and_not_that_arms_changed()
    {
        new ExperimentRunner(Spec(0.5), _dir, new TestHost()).Run();
        var host = new TestHost();
        new ExperimentRunner(Spec(0.5, description: "measured"), _dir, host).Run();
        var line = Assert.Single(host.Logs, l => l.Contains("the experiment file changed"));
        Assert.Contains("(description changed)", line);
        Assert.DoesNotContain("arms", line);
        Assert.Contains("\"measured\"", File.ReadAllText(Path.Combine(_dir, "experiment.json")));
    }
}
