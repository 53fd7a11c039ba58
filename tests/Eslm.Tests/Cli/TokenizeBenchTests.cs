using Eslm.Tests.Checkpoints;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>`tokenize --bench` checks Eslm's ids against SharpToken, except where SharpToken departs from GPT-2's rules.</summary>
public class TokenizeBenchTests
{
    [Fact]
    public void Bench_notes_where_sharptoken_departs_from_gpt2_and_says_so_in_its_summary()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["astral.txt"], "Alice𝐀's x");
        var r = CliHarness.Run("tokenize", "--bench", dir["astral.txt"], "--repeat", "1");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("outside the Basic Multilingual Plane", r.Err);
        Assert.Contains("ids differ from SharpToken r50k_base", r.Out);

        File.WriteAllText(dir["plain.txt"], "Alice's x");
        var plain = CliHarness.Run("tokenize", "--bench", dir["plain.txt"], "--repeat", "1");
        Assert.True(plain.Code == 0, plain.Err);
        Assert.Contains("ids identical to SharpToken r50k_base", plain.Out);
    }
}
