using Xunit;
using static Eslm.Tests.Checkpoints.TestFiles;

namespace Eslm.Tests.Cli;

/// <summary>Absurd dimensions and runs larger than memory end in one error line, never a crash (in a child process: a
/// segfault must not take the test host down).</summary>
public class ResourceLimitCliTests
{
    private static void AssertOneLineError((int ExitCode, string Stdout, string Stderr) r, string problem)
    {
        Assert.NotEqual(0, r.ExitCode);
        string err = r.Stderr.TrimEnd('\n');
        Assert.DoesNotContain('\n', err);
        Assert.StartsWith("eslm: error: ", err);
        Assert.Contains(problem, err);
    }

    [Theory]
    [InlineData("train")]
    [InlineData("bench")]
    public void A_vocabulary_of_int_max_is_an_error_not_a_segfault(string command)
    {
        using var dir = new Checkpoints.TempDir();
        var args = command == "train"
            ? new[] { "train", "--model", "tiny", "--vocab", "2147483647", "--data", "random:50257", "--steps", "1", "--out", dir["run"] }
            : new[] { "bench", "--model", "tiny", "--vocab", "2147483647", "--steps", "1" };
        AssertOneLineError(RunCli(args), "Eslm's limit");
        Assert.False(Directory.Exists(dir["run"]));
    }

    [Fact]
    public void A_batch_larger_than_memory_is_refused_with_the_estimate()
    {
        using var dir = new Checkpoints.TempDir();
        var r = RunCli("train", "--model", "tiny", "--batch", "1000000", "--data", "random:50257", "--steps", "1", "--out", dir["run"]);
        AssertOneLineError(r, "needs at least");
        Assert.Contains("this machine has", r.Stderr);
        Assert.False(Directory.Exists(dir["run"]));
    }
}
