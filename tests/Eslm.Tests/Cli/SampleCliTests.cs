using System.Diagnostics;
using Eslm.Checkpoints;
using Eslm.Tests.Checkpoints;
using Eslm.Tokenization;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>`eslm sample`: --stop-token as text or id (issue 21, defect 10), and a reader that goes away stops it (EPIPE).</summary>
public class SampleCliTests
{
    /// <summary>A random model of 50 tokens: GPT-2 ids 0..49 are single printable characters, each one token as text.</summary>
    private static string Model(TempDir dir)
    {
        using var model = TestFiles.RandomModel();
        LlmcModelFile.Save(dir["m.bin"], model);
        return dir["m.bin"];
    }

    private static int[] Ids(string stdout) => stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();

    [Fact]
    public void Stop_token_takes_the_token_text_its_help_shows()
    {
        var r = CliHarness.Run("sample", "--checkpoint", "preset:tiny", "--prompt-ids", "1 2", "--max-new-tokens", "3", "--stop-token", "<|endoftext|>", "--threads", "1");
        Assert.True(r.Code == 0, r.Err);
    }

    [Fact]
    public void Stop_token_as_text_or_as_id_stops_after_that_token()
    {
        using var dir = new TempDir();
        string model = Model(dir);
        string[] common = ["sample", "--checkpoint", model, "--prompt-ids", "1 2", "--seed", "5", "--threads", "1"];
        var all = TestFiles.RunCli([.. common, "--max-new-tokens", "12"]);
        Assert.True(all.ExitCode == 0, all.Stderr);
        int[] ids = Ids(all.Stdout);
        int stop = ids[3], at = Array.IndexOf(ids, stop);
        string text = Gpt2Tokenizer.Default.Decode([stop]);
        foreach (var given in new[] { text, stop.ToString() })
        {
            var r = TestFiles.RunCli([.. common, "--max-new-tokens", "12", "--stop-token", given]);
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.Equal(ids[..(at + 1)], Ids(r.Stdout));
        }
    }

    [Fact]
    public void Stop_token_text_of_several_tokens_is_an_error()
    {
        using var dir = new TempDir();
        var r = CliHarness.Run("sample", "--checkpoint", Model(dir), "--prompt-ids", "1", "--stop-token", "hello world");
        CliHarness.AssertOneLineError(r, 2, "--stop-token", "'hello world'", "not one");
    }

    [Fact]
    public void Sampling_stops_soon_after_the_reader_of_stdout_goes_away()
    {
        using var dir = new TempDir();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { TestFiles.CliDll, "sample", "--checkpoint", Model(dir), "--prompt-ids", "1 2", "--max-new-tokens", "100000000", "--threads", "1" })
            psi.ArgumentList.Add(a);
        using var child = Process.Start(psi)!;
        child.ErrorDataReceived += (_, _) => { };
        child.BeginErrorReadLine();
        var head = new char[20];
        int read = 0;
        while (read < head.Length && child.StandardOutput.Read(head, read, head.Length - read) is > 0 and var n) read += n;
        child.StandardOutput.Close(); // `| head -c 20`
        // 100 million tokens take many minutes: only a sampler that notices the closed pipe ends in time.
        bool ended = child.WaitForExit(TimeSpan.FromSeconds(60));
        if (!ended) child.Kill();
        Assert.True(ended, "sample went on generating after its reader had gone");
        Assert.Equal(0, child.ExitCode);
        Assert.Equal(20, read);
    }
}
