using Eslm.Tests.Data;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>
/// A folder where a file is expected (or a file where a folder is) is said in Eslm's words, naming the path, before any
/// work starts: not .NET's "Is a directory" after scoring a whole split, nor "not found" for a folder that exists.
/// </summary>
public class FolderOrFileErrorTests : DataTestBase
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliHarness.Run(args);

    private string Dataset()
    {
        string data = Path.Combine(Dir, "ds");
        Prepare(data, [JsonlCorpus()]);
        return data;
    }

    [Theory]
    [InlineData("d")]
    [InlineData("d/")]
    public void Score_refuses_a_folder_as_output_before_scoring(string name)
    {
        string data = Dataset(), folder = Path.Combine(Dir, name);
        Directory.CreateDirectory(folder);
        // preset:tiny would score for seconds: the error must come first, so nothing is printed on stdout
        var r = Run("score", "--reference", "preset:tiny", "--data", data, "--split", "val", "--seq", "16", "--out", folder);
        CliHarness.AssertOneLineError(r, 1, folder + ": is a folder, expected a file");
        Assert.Equal("", r.Out);
        Assert.DoesNotContain("score ", r.Err);
    }

    [Fact]
    public void Score_names_an_output_ending_in_a_separator_as_a_folder()
    {
        string output = Path.Combine(Dir, "nope") + "/";
        CliHarness.AssertOneLineError(Run("score", "--reference", "preset:tiny", "--data", Dataset(), "--split", "val", "--out", output), 1, output, "expected a file");
    }

    [Fact]
    public void Tasks_build_says_when_out_is_a_file()
    {
        string file = Write("h.txt", "mine\n");
        CliHarness.AssertOneLineError(Run("tasks", "build", "--data", Dataset(), "--out", file), 1, file + ": is a file, expected a folder");
        Assert.Equal("mine\n", File.ReadAllText(file));
    }

    [Fact]
    public void Show_selection_and_tokenize_say_a_folder_is_a_folder()
    {
        string folder = Path.Combine(Dir, "d");
        Directory.CreateDirectory(folder);
        CliHarness.AssertOneLineError(Run("show-selection", "--checkpoint", "preset:tiny", "--text", folder), 1, folder + ": is a folder, expected a file");
        CliHarness.AssertOneLineError(Run("tokenize", folder), 1, folder + ": is a folder, expected a file");
    }

    [Fact]
    public void Show_selection_names_an_empty_text()
    {
        string empty = Write("empty.txt", "");
        CliHarness.AssertOneLineError(Run("show-selection", "--checkpoint", "preset:tiny", "--text", empty), 1, empty + ": no text to score");
    }
}
