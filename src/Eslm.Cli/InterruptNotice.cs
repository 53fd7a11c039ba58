using System.Runtime.InteropServices;
using Eslm.Checkpoints;

namespace Eslm.Cli;

/// <summary>
/// While a run trains: on Ctrl-C (SIGINT) or SIGTERM, says where the run stopped and how to go on, then lets the signal end
/// the process as before ("interrupted at step N; last checkpoint step-M; continue with --resume"). Checkpoints are
/// written atomically, so the newest complete one is what <c>--resume</c> continues from.
/// </summary>
public sealed class InterruptNotice : IDisposable
{
    private readonly string _runDirectory;
    private readonly List<PosixSignalRegistration> _registrations = [];
    private long _step = -1;

    public InterruptNotice(string runDirectory)
    {
        _runDirectory = runDirectory;
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
        {
            try { _registrations.Add(PosixSignalRegistration.Create(signal, OnSignal)); }
            catch (PlatformNotSupportedException) { }
        }
    }

    /// <summary>The last step completed (from the run's progress reports).</summary>
    public void Completed(long step) => Interlocked.Exchange(ref _step, step);

    private void OnSignal(PosixSignalContext context)
    {
        // context.Cancel stays false: the process ends as it would have, only after this line.
        bool redraws = ProgressReporter.Redraws(Console.IsErrorRedirected, Environment.GetEnvironmentVariable("TERM"));
        Console.Error.WriteLine((redraws ? "\r\u001b[K" : "") + Message(Interlocked.Read(ref _step), Checkpoint.ListComplete(_runDirectory), _runDirectory));
    }

    public static string Message(long step, IReadOnlyList<(long Step, string Path)> checkpoints, string runDirectory)
    {
        string at = step < 0 ? "before its first step" : $"at step {step}";
        return checkpoints.Count == 0
            ? $"eslm: interrupted {at}; no checkpoint yet, so nothing to resume: start again with `eslm train --overwrite --out {runDirectory}`"
            : $"eslm: interrupted {at}; last checkpoint {Path.GetFileName(checkpoints[^1].Path)} (step {checkpoints[^1].Step}); " +
              $"continue with `eslm train --resume --out {runDirectory}`";
    }

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
    }
}
