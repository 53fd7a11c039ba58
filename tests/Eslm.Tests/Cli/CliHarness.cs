using Eslm.Cli;

namespace Eslm.Tests.Cli;

/// <summary>Runs `eslm` in-process (Program.Main) and captures its exit code, stdout and stderr.</summary>
internal static class CliHarness
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var (stdout, stderr) = (Console.Out, Console.Error);
        var o = new StringWriter(); var e = new StringWriter();
        Console.SetOut(o); Console.SetError(e);
        try { return (Program.Main(args), o.ToString(), e.ToString()); }
        finally { Console.SetOut(stdout); Console.SetError(stderr); }
    }

    /// <summary>Asserts one "eslm: error: …" line on stderr that contains every one of <paramref name="parts"/>.</summary>
    public static void AssertOneLineError((int Code, string Out, string Err) r, int code, params string[] parts)
    {
        Xunit.Assert.Equal(code, r.Code);
        string err = r.Err.TrimEnd('\n');
        var lines = err.Split('\n').Where(l => !l.StartsWith("eslm: warning: ", StringComparison.Ordinal) && !l.StartsWith("eslm train: ", StringComparison.Ordinal)).ToArray();
        Xunit.Assert.True(lines.Length >= 1, $"no error line in: {r.Err}");
        Xunit.Assert.StartsWith("eslm: error: ", lines[^1]);
        foreach (var p in parts) Xunit.Assert.Contains(p, lines[^1]);
    }
}
