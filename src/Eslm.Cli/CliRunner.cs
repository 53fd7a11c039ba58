using Eslm.Native;

namespace Eslm.Cli;

/// <summary>
/// Runs a command body with Eslm's error contract: expected failures (bad input, missing files, invalid options) print one
/// line "eslm: error: …" naming the file and the problem, and exit non-zero; nothing else is printed.
/// Exit codes (docs/cli-rules.md): 2 = the command line is wrong (an <see cref="ArgumentException"/>, which Eslm throws
/// only for option values and combinations); 1 = anything that fails at run time (files, data, divergence, memory).
/// </summary>
public static class CliRunner
{
    /// <param name="outOfMemoryHint">What to reduce when memory runs out, in the command's own options (issue 21: never
    /// name options a command lacks).</param>
    public static int Run(Func<int> body, string outOfMemoryHint = "reduce --batch, --seq or the model")
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or FormatException
                                      or DllNotFoundException or InvalidOperationException or UnauthorizedAccessException or NotSupportedException)
        {
            Console.Out.Flush();
            Console.Error.WriteLine($"eslm: error: {ErrorText.Of(e)}");
            return e is ArgumentException ? 2 : 1;
        }
        catch (OutOfMemoryException e)
        {
            // Estimates (TrainingMemory) refuse impossible shapes up front with their own message; an allocation that still
            // fails is one line too, never a stack trace.
            Console.Out.Flush();
            Console.Error.WriteLine(e is InsufficientMemoryException ? $"eslm: error: {e.Message}"
                : $"eslm: error: out of memory (an allocation failed): {outOfMemoryHint}");
            return 1;
        }
    }

    /// <summary>Sets thread counts for OpenBLAS and Eslm's own kernels (0 = all cores).</summary>
    public static void ConfigureThreads(int threads)
    {
        if (threads < 0) throw new ArgumentException($"--threads must be >= 0 (got {threads})");
        int n = threads == 0 ? Environment.ProcessorCount : threads;
        Eslm.Tensors.Parallelism.Threads = n;
        OpenBlas.Initialize(n);
    }
}
