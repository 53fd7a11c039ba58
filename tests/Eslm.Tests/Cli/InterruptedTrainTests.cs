using System.Diagnostics;
using System.Runtime.InteropServices;
using Eslm.Tests.Checkpoints;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>An interrupted `train` says where it stopped and how to go on (issue 21).</summary>
public class InterruptedTrainTests
{
    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    private const int Sigterm = 15;

    [SkippableFact]
    public void Sigterm_prints_the_step_the_last_checkpoint_and_the_resume_command()
    {
        Skip.IfNot(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "POSIX signals");
        using var dir = new TempDir();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { TestFiles.CliDll, "train", "--model", "tiny", "--data", "random:50257", "--out", dir["run"], "--steps", "1000000",
                                  "--batch", "1", "--seq", "8", "--checkpoint-every", "2", "--keep-last", "1", "--val-batches", "0", "--threads", "1" })
            psi.ArgumentList.Add(a);
        using var child = new Process { StartInfo = psi };
        var err = new System.Text.StringBuilder();
        using var saved = new ManualResetEventSlim();
        child.ErrorDataReceived += (_, e) =>
        {
            lock (err) err.AppendLine(e.Data);
            if (e.Data?.Contains("checkpoint ") == true) saved.Set();
        };
        child.Start();
        child.BeginErrorReadLine();
        child.StandardOutput.ReadToEndAsync();
        bool ok = saved.Wait(TimeSpan.FromSeconds(60));
        if (ok) kill(child.Id, Sigterm);
        bool ended = child.WaitForExit(TimeSpan.FromSeconds(30));
        if (!ended) child.Kill();
        Assert.True(ok && ended, $"no checkpoint or no exit: {err}");
        child.WaitForExit();
        string text;
        lock (err) text = err.ToString();
        var line = text.Split('\n').LastOrDefault(l => l.Contains("interrupted"));
        Assert.True(line is not null, text);
        Assert.Matches(@"eslm: interrupted at step \d+; last checkpoint step-\d{8} \(step \d+\); continue with `eslm train --resume --out ", line);
        Assert.Contains(dir["run"], line);
    }
}
