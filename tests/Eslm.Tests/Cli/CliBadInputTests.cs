using Eslm.Cli;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>Bad options give one line "eslm: error: …" on stderr and a non-zero exit, and write nothing.</summary>
public class CliBadInputTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "eslm-cli-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }

    private static (int Code, string Error) Run(params string[] args)
    {
        var error = new StringWriter();
        var saved = Console.Error;
        Console.SetError(error);
        try { return (Program.Main(args), error.ToString()); }
        finally { Console.SetError(saved); }
    }

    [Theory]
    [InlineData("--alpha", "1.0", "--alpha must be in [0, 1)")]
    [InlineData("--alpha", "-0.1", "--alpha must be in [0, 1)")]
    [InlineData("--keep", "0", "--keep must be in (0, 1]")]
    [InlineData("--keep", "1.5", "--keep must be in (0, 1]")]
    [InlineData("--steps", "-1", "--steps must be >= 0")]
    [InlineData("--batch", "0", "--batch must be >= 1")]
    [InlineData("--seq", "100000", "--seq must be in [1, 64]")]
    [InlineData("--selection-scope", "galaxy", "--selection-scope must be one of")]
    [InlineData("--strategy", "magic", "unknown strategy 'magic'")]
    [InlineData("--lr", "-1", "--lr must be > 0")]
    public void Train_rejects_out_of_range_options_with_one_line(string flag, string value, string message)
    {
        string outDir = Path.Combine(_dir, "run");
        var (code, error) = Run("train", "--model", "tiny", "--data", "random:50257", "--out", outDir, flag, value);
        Assert.NotEqual(0, code);
        Assert.Contains(message, error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.StartsWith("eslm: error: ", error);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void Rho1_with_a_missing_reference_checkpoint_names_the_path()
    {
        var (code, error) = Run("train", "--model", "tiny", "--data", "random:50257", "--out", Path.Combine(_dir, "r"), "--strategy", "rho1",
            "--reference", Path.Combine(_dir, "nope"));
        Assert.NotEqual(0, code);
        Assert.Contains("nope", error);
        Assert.StartsWith("eslm: error: ", error);
    }

    [Fact]
    public void A_dataset_with_a_larger_vocabulary_than_the_model_is_rejected()
    {
        string outDir = Path.Combine(_dir, "v");
        var (code, error) = Run("train", "--model", "tiny", "--vocab", "1000", "--data", "random:50257", "--out", outDir);
        Assert.NotEqual(0, code);
        Assert.Contains("exceed the model's vocabulary of 1000", error);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void Heads_that_do_not_divide_channels_are_rejected()
    {
        var (code, error) = Run("bench", "--model", "tiny", "--heads", "3", "--steps", "1");
        Assert.NotEqual(0, code);
        Assert.Contains("divisible", error);
    }

    [Fact]
    public void A_config_file_with_an_unknown_key_is_rejected()
    {
        Directory.CreateDirectory(_dir);
        string config = Path.Combine(_dir, "c.json");
        File.WriteAllText(config, "{\"model\": \"tiny\", \"colour\": \"blue\"}");
        var (code, error) = Run("train", "--config", config, "--data", "random:50257");
        Assert.NotEqual(0, code);
        Assert.Contains("unknown key 'colour'", error);
    }

    [Fact]
    public void A_diverging_run_stops_with_a_message_and_saves_nothing_after_the_last_good_checkpoint()
    {
        string outDir = Path.Combine(_dir, "nan");
        var (code, error) = Run("train", "--model", "tiny", "--data", "random:50257", "--out", outDir, "--batch", "2", "--seq", "16",
            "--steps", "6", "--lr", "1e30", "--warmup", "0", "--grad-clip", "0", "--checkpoint-every", "1", "--val-batches", "0");
        Assert.NotEqual(0, code);
        Assert.Contains("loss became", error);
        Assert.Contains("last good checkpoint", error);
        foreach (var dir in Directory.GetDirectories(outDir, "step-*"))
            Assert.True(Eslm.Checkpoints.Checkpoint.IsComplete(dir));
    }
}
