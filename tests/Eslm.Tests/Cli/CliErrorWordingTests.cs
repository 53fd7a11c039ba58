using Eslm.Tests.Checkpoints;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>.NET's own texts never reach the user: each failure is one line "eslm: error: PATH: problem" (issue 21, defect 13).</summary>
public class CliErrorWordingTests
{
    [Fact]
    public void A_dangling_symbolic_link_is_named_with_its_missing_target()
    {
        using var dir = new TempDir();
        File.CreateSymbolicLink(dir["model.bin"], dir["gone.bin"]);
        var r = CliHarness.Run("sample", "--checkpoint", dir["model.bin"], "--prompt-ids", "1");
        CliHarness.AssertOneLineError(r, 1, dir["model.bin"], "symbolic link", dir["gone.bin"], "does not exist");
        Assert.DoesNotContain("Could not find", r.Err);
    }

    [Fact]
    public void A_config_that_is_a_folder_says_so()
    {
        using var dir = new TempDir();
        var r = CliHarness.Run("sample", "--config", dir.Path, "--checkpoint", dir["m"], "--prompt-ids", "1");
        CliHarness.AssertOneLineError(r, 2, dir.Path, "is a folder");
    }

    [Fact]
    public void An_empty_config_such_as_dev_null_says_it_is_empty()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["empty.json"], "");
        var r = CliHarness.Run("sample", "--config", dir["empty.json"], "--checkpoint", dir["m"], "--prompt-ids", "1");
        CliHarness.AssertOneLineError(r, 2, dir["empty.json"], "empty");
        Assert.DoesNotContain("isFinalBlock", r.Err);
    }

    [Fact]
    public void A_config_with_broken_json_names_the_line_without_dotnet_text()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["c.json"], "{\"prompt\": \"a\"}\nx");
        var r = CliHarness.Run("sample", "--config", dir["c.json"], "--checkpoint", dir["m"]);
        CliHarness.AssertOneLineError(r, 2, dir["c.json"], "not valid JSON", "line 2");
        Assert.DoesNotContain("BytePositionInLine", r.Err);
    }

    [Fact]
    public void A_list_for_a_text_option_says_a_string_not_a_dotnet_type()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["c.json"], "{\"prompt\": [\"a\"]}");
        var r = CliHarness.Run("sample", "--config", dir["c.json"], "--checkpoint", dir["m"]);
        CliHarness.AssertOneLineError(r, 2, "'prompt' must be a string");
        Assert.DoesNotContain("String", r.Err);
    }
}
