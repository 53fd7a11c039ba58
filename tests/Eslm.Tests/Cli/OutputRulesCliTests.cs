using Eslm.Cli;
using Eslm.Tests.Data;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>Commands that write files refuse to replace them without --force, keep --name inside --out, and default
/// their outputs into the working directory (docs/cli-rules.md).</summary>
public class OutputRulesCliTests : DataTestBase
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliHarness.Run(args);

    private static void AssertOneLineError((int Code, string Out, string Err) r, string file, string problem)
    {
        Assert.NotEqual(0, r.Code);
        string err = r.Err.TrimEnd('\n');
        Assert.DoesNotContain('\n', err);
        Assert.StartsWith("eslm: error: ", err);
        Assert.Contains(file, err);
        Assert.Contains(problem, err);
    }

    /// <summary>Runs <paramref name="body"/> with the working directory set to a fresh folder under the test's temp dir.</summary>
    private T InWorkingDirectory<T>(string name, Func<T> body)
    {
        string saved = Directory.GetCurrentDirectory(), cwd = Path.Combine(Dir, name);
        Directory.CreateDirectory(cwd);
        Directory.SetCurrentDirectory(cwd);
        try { return body(); }
        finally { Directory.SetCurrentDirectory(saved); }
    }

    /// <summary>Documents of several sentences, repeating words: both task kinds get items (building nothing is an error).</summary>
    private string Dataset()
    {
        string output = Path.Combine(Dir, "ds");
        var lines = Enumerable.Range(0, 60).Select(i => System.Text.Json.JsonSerializer.Serialize(new
        {
            text = $"The garden number {i} grows tall green plants. Every morning the old gardener waters those plants. " +
                   $"Later the children of house {i} visit the garden. They always admire the tall green plants.",
        }));
        Prepare(output, [Write("corpus.jsonl", string.Join("\n", lines) + "\n")]);
        return output;
    }

    [Fact]
    public void Tasks_build_refuses_to_overwrite_without_force()
    {
        string data = Dataset(), outDir = Path.Combine(Dir, "tasks");
        Assert.Equal(0, Run("tasks", "build", "--data", data, "--out", outDir, "--items", "5").Code);
        string existing = Path.Combine(outDir, "ds-next-sentence.jsonl");
        File.WriteAllText(existing, "mine\n");
        AssertOneLineError(Run("tasks", "build", "--data", data, "--out", outDir, "--items", "5"), existing, "already exists (pass --force");
        Assert.Equal("mine\n", File.ReadAllText(existing));
        Assert.Equal(0, Run("tasks", "build", "--data", data, "--out", outDir, "--items", "5", "--force").Code);
        Assert.NotEqual("mine\n", File.ReadAllText(existing));
    }

    [Theory]
    [InlineData("../..")]
    [InlineData("../escape")]
    [InlineData("sub/name")]
    public void Tasks_build_rejects_a_name_that_leaves_the_output_folder(string name)
    {
        string data = Dataset();
        var r = Run("tasks", "build", "--data", data, "--out", Path.Combine(Dir, "tasks"), "--name", name);
        Assert.Equal(2, r.Code);
        Assert.Contains("--name", r.Err);
        Assert.DoesNotContain(Directory.GetFiles(Dir, "*.jsonl", SearchOption.AllDirectories), f => !f.EndsWith("corpus.jsonl"));
    }

    [Fact]
    public void Tasks_build_writes_into_the_working_directory_by_default()
    {
        string data = Dataset();
        var r = InWorkingDirectory("cwd", () => Run("tasks", "build", "--data", data, "--items", "5"));
        Assert.Equal(0, r.Code);
        Assert.True(File.Exists(Path.Combine(Dir, "cwd", "tasks", "ds-cloze.jsonl")));
    }

    [Fact]
    public void Show_selection_writes_into_the_working_directory_and_refuses_to_overwrite()
    {
        string text = Write("texts/story.txt", "Once upon a time there was a small model that learned to read.");
        var first = InWorkingDirectory("cwd", () => Run("show-selection", "--checkpoint", "preset:tiny", "--text", text, "--strategy", "eslm"));
        Assert.Equal(0, first.Code);
        string page = Path.Combine(Dir, "cwd", "story-eslm.html");
        Assert.True(File.Exists(page));
        Assert.False(File.Exists(Path.Combine(Dir, "texts", "story-eslm.html")));
        File.WriteAllText(page, "mine");
        var again = InWorkingDirectory("cwd", () => Run("show-selection", "--checkpoint", "preset:tiny", "--text", text, "--strategy", "eslm"));
        AssertOneLineError(again, "story-eslm.html", "already exists (pass --force");
        Assert.Equal("mine", File.ReadAllText(page));
        Assert.Equal(0, InWorkingDirectory("cwd", () => Run("show-selection", "--checkpoint", "preset:tiny", "--text", text, "--strategy", "eslm", "--force")).Code);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFE, 0x68, 0x00, 0x69, 0x00 }, "UTF-16 text: convert it to UTF-8")]
    [InlineData(new byte[] { 0x68, 0x69, 0xC3, 0x28, 0x21 }, "invalid UTF-8 at byte 2 (use --invalid-utf8 replace")]
    [InlineData(new byte[] { 0x68, 0x00, 0x69, 0x21, 0x21 }, "binary file (NUL byte at offset 1)")]
    public void Show_selection_refuses_text_that_is_not_utf8_and_writes_nothing(byte[] content, string problem)
    {
        string text = WriteBytes("texts/odd.txt", content);
        var r = InWorkingDirectory("cwd", () => Run("show-selection", "--checkpoint", "preset:tiny", "--text", text, "--strategy", "eslm"));
        AssertOneLineError(r, text, problem);
        Assert.Empty(Directory.GetFiles(Path.Combine(Dir, "cwd")));
    }

    [Fact]
    public void Show_selection_replaces_invalid_utf8_when_asked()
    {
        string text = WriteBytes("texts/odd.txt", [0x68, 0x69, 0xC3, 0x28, 0x21]);
        var r = InWorkingDirectory("cwd", () => Run("show-selection", "--checkpoint", "preset:tiny", "--text", text, "--strategy", "eslm", "--invalid-utf8", "replace"));
        Assert.Equal(0, r.Code);
        Assert.True(File.Exists(Path.Combine(Dir, "cwd", "odd-eslm.html")));
    }
}
