using System.CommandLine;
using Eslm.Cli;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>
/// `--help` of every command is locked by an approved file in tests/Eslm.Tests/Approvals. A change to options shows up
/// as a failing test with a .received.txt beside the approved file; accept it with
/// `ESLM_APPROVE=1 dotnet test tests/Eslm.Tests --filter HelpApproval` (each command then reports a skip naming the file it
/// wrote; review the diff before committing).
/// </summary>
public class HelpApprovalTests
{
    private static readonly string ApprovalDir = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "Approvals"));

    public static IEnumerable<object[]> Commands() =>
        new[] { "" }.Concat(Program.BuildRootCommand().Subcommands.Where(c => !c.Hidden).Select(c => c.Name)).Select(n => new object[] { n });

    [SkippableTheory]
    [MemberData(nameof(Commands))]
    public void Help_text_matches_the_approved_file(string command)
    {
        var output = new StringWriter();
        var args = command.Length == 0 ? new[] { "--help" } : new[] { command, "--help" };
        Program.BuildRootCommand().Parse(args).Invoke(new InvocationConfiguration { Output = output });
        // The usage line names the running executable (the test host here, eslm for users).
        string received = output.ToString().Replace("\r\n", "\n").Replace("testhost", "eslm");
        string name = command.Length == 0 ? "eslm" : "eslm-" + command;
        string approved = Path.Combine(ApprovalDir, name + ".help.txt"), receivedPath = Path.Combine(ApprovalDir, name + ".help.received.txt");
        if (Environment.GetEnvironmentVariable("ESLM_APPROVE") == "1")
        {
            Directory.CreateDirectory(ApprovalDir);
            File.WriteAllText(approved, received);
            if (File.Exists(receivedPath)) File.Delete(receivedPath);
            // Approving checks nothing, so it reports a skip naming what it wrote, never a pass.
            throw new SkipException($"ESLM_APPROVE=1: wrote {approved}");
        }
        string expected = File.Exists(approved) ? File.ReadAllText(approved).Replace("\r\n", "\n") : "";
        if (expected != received) File.WriteAllText(receivedPath, received);
        else if (File.Exists(receivedPath)) File.Delete(receivedPath);
        Assert.True(expected == received,
            $"`{("eslm " + command).Trim()} --help` changed: compare {receivedPath} with {approved}; accept with ESLM_APPROVE=1 dotnet test tests/Eslm.Tests --filter HelpApproval");
    }
}
