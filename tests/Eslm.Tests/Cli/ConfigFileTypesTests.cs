using Eslm.Tests.Checkpoints;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>
/// Issue 21 defect 5 for `--config`: a value of the wrong JSON type, a null for a number, an out-of-range integer or a
/// duplicate key is one error line naming the key, the expected type and the file (exit 2), and nothing is trained.
/// </summary>
public class ConfigFileTypesTests
{
    [Theory]
    [InlineData("""{"steps": null}""", "key 'steps' must be an integer from")]
    [InlineData("""{"steps": "3"}""", "key 'steps' must be an integer from")]
    [InlineData("""{"steps": [3]}""", "key 'steps' must be an integer from")]
    [InlineData("""{"batch": 1e12}""", "key 'batch' must be an integer from -2147483648 to 2147483647")]
    [InlineData("""{"lr": "0,001"}""", "key 'lr' must be a number")]
    [InlineData("""{"selection": {"strategy": "eslm", "alpha": true}}""", "key 'selection.alpha' must be a number")]
    public void A_value_of_the_wrong_json_type_names_the_key_the_type_and_the_file(string json, string message)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["c.json"], json);
        var r = CliHarness.Run("train", "--config", dir["c.json"], "--model", "tiny", "--data", "random:50257", "--out", dir["run"]);
        CliHarness.AssertOneLineError(r, 2, dir["c.json"], message);
        Assert.False(Directory.Exists(dir["run"]));
    }

    [Fact]
    public void A_duplicate_key_is_refused_naming_the_key_and_the_file()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["c.json"], """{"steps": 3, "steps": 0}""");
        var r = CliHarness.Run("train", "--config", dir["c.json"], "--model", "tiny", "--data", "random:50257", "--out", dir["run"]);
        CliHarness.AssertOneLineError(r, 2, $"duplicate key 'steps' in {dir["c.json"]}");
    }
}
