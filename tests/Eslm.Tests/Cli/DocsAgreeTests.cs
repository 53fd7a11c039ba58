using System.Text.RegularExpressions;
using Eslm.Cli;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>The README's workflow and the help use what the commands accept and create.</summary>
public class DocsAgreeTests
{
    private static readonly string Root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));

    [Fact]
    public void Every_dataset_the_readme_reads_is_one_it_prepares()
    {
        string readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        var prepared = Regex.Matches(readme, @"eslm prepare [^\n]*--out (data/[\w-]+)").Select(m => m.Groups[1].Value).ToHashSet();
        var read = Regex.Matches(readme, @"--data (data/[\w-]+)").Select(m => m.Groups[1].Value).ToHashSet();
        Assert.NotEmpty(read);
        Assert.Empty(read.Except(prepared));
    }

    /// <summary>prepare, tokenize and show-selection spell --invalid-utf8's values as the docs do; a bad value lists them
    /// (docs/cli-rules.md: no .NET type name in a parse error).</summary>
    [Theory]
    [InlineData("prepare", "x.txt", "-o", "eslm-never")]
    [InlineData("tokenize", "x.txt")]
    [InlineData("show-selection", "--checkpoint", "preset:tiny", "--text", "x.txt")]
    public void Invalid_utf8_takes_the_documented_lower_case_values(string command, params string[] args)
    {
        var error = new StringWriter();
        var saved = Console.Error;
        Console.SetError(error);
        int code;
        string[] line = [command, .. args.Select(a => a == "eslm-never" ? Path.Combine(Path.GetTempPath(), "eslm-never-" + Guid.NewGuid().ToString("N")) : a), "--invalid-utf8", "bogus"];
        try { code = Program.Main(line); }
        finally { Console.SetError(saved); }
        Assert.Equal(2, code);
        Assert.DoesNotContain("Eslm.Data", error.ToString());
        Assert.Contains("one of error, replace", error.ToString());
        Assert.Contains("--invalid-utf8 <error|replace>", File.ReadAllText(Path.Combine(Root, "tests", "Eslm.Tests", "Approvals", $"eslm-{command}.help.txt")));
    }
}
