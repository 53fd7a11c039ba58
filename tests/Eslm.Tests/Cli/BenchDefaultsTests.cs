using System.Text.Json.Nodes;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>`bench` benches at T = 256 (d6's context), or at the model's whole context when that is shorter.</summary>
public class BenchDefaultsTests
{
    [Fact]
    public void A_model_with_a_context_shorter_than_256_benches_at_its_context_without_seq()
    {
        var r = CliHarness.Run("bench", "--model", "tiny", "--layers", "1", "--channels", "16", "--heads", "2", "--vocab", "64", "--batch", "1",
            "--steps", "1", "--warmup", "0", "--threads", "1", "--json");
        Assert.True(r.Code == 0, r.Err); // used to fail: "--seq must be in [1, 64] for model tiny (got 256)"
        Assert.Equal(64, JsonNode.Parse(r.Out)!["seq"]!.GetValue<int>());
    }
}
