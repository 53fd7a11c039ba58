using Microsoft.Win32.SafeHandles;

namespace Eslm.Cli;

/// <summary>
/// Standard output as a byte stream that notices when its reader has gone (<c>eslm sample … | head -c 20</c>).
/// <see cref="Console.OpenStandardOutput()"/> ignores EPIPE on Unix (its writes "succeed" after the reader closed the
/// pipe), so a generator would go on for all its tokens; a plain stream on descriptor 1 reports it as an
/// <see cref="IOException"/> that <see cref="IsBrokenPipe"/> recognises (.NET ignores SIGPIPE, so the process lives).
/// </summary>
public static class StandardOutput
{
    private const int Epipe = 32; // errno EPIPE on Linux and macOS

    public static Stream Open() => OperatingSystem.IsWindows()
        ? Console.OpenStandardOutput()
        : new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);

    /// <summary>True when a write failed because nobody reads the output any more (not for a full disk or other faults).</summary>
    public static bool IsBrokenPipe(IOException e) => e.HResult == Epipe || e.Message.Contains("Broken pipe", StringComparison.OrdinalIgnoreCase);
}
