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

    [Fact]
    public void Invalid_utf8_takes_the_documented_lower_case_values()
    {
        var error = new StringWriter();
        var saved = Console.Error;
        Console.SetError(error);
        int code;
        try { code = Program.Main(["prepare", "x.txt", "-o", Path.Combine(Path.GetTempPath(), "eslm-never-" + Guid.NewGuid().ToString("N")), "--invalid-utf8", "bogus"]); }
        finally { Console.SetError(saved); }
        Assert.Equal(2, code);
        Assert.DoesNotContain("Eslm.Data", error.ToString());
        Assert.Contains("replace", error.ToString());
        Assert.Contains("--invalid-utf8 <error|replace>", File.ReadAllText(Path.Combine(Root, "tests", "Eslm.Tests", "Approvals", "eslm-prepare.help.txt")));
    }
}
