using System.Text.RegularExpressions;
using Xunit;

namespace Eslm.Tests.Extending;

/// <summary>docs/extending.md shows only code that compiles: each of its C# blocks appears verbatim in a compiled file.</summary>
public class ExtendingDocsTests
{
    private static readonly string Root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));

    private static string Lines(string text) => string.Join("\n", text.Replace("\r\n", "\n").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0));

    [Fact]
    public void Every_code_block_of_the_extending_page_is_compiled_code()
    {
        string page = File.ReadAllText(Path.Combine(Root, "docs", "extending.md"));
        string compiled = Lines(File.ReadAllText(Path.Combine(Root, "tests", "Eslm.Tests", "Extending", "SurpriseStrategyExample.cs")) + "\n" +
                                File.ReadAllText(Path.Combine(Root, "src", "Eslm", "Training", "TrainOptions.cs")));
        var blocks = Regex.Matches(page, "```csharp\n(.*?)```", RegexOptions.Singleline).Select(m => Lines(m.Groups[1].Value)).ToList();
        Assert.True(blocks.Count >= 3, $"expected the selector, settings and training-option blocks, found {blocks.Count}");
        foreach (var block in blocks) Assert.True(compiled.Contains(block), $"docs/extending.md shows code that is not compiled:\n{block}");
    }
}
