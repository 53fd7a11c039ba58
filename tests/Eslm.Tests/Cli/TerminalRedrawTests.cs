using Eslm.Cli;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>Progress redraws one line (\r, ESC[K) only on a terminal that understands it (issue 21).</summary>
public class TerminalRedrawTests
{
    [Theory]
    [InlineData(false, "xterm-256color", true)]
    [InlineData(false, null, true)]
    [InlineData(false, "dumb", false)]
    [InlineData(true, "xterm-256color", false)]
    [InlineData(true, "dumb", false)]
    public void Only_an_undirected_smart_terminal_gets_redraws(bool errorRedirected, string? term, bool redraws) =>
        Assert.Equal(redraws, ProgressReporter.Redraws(errorRedirected, term));

    [Fact]
    public void Without_redraws_progress_holds_no_carriage_return_or_escape()
    {
        var output = new StringWriter();
        var bar = new ProgressReporter("work", 10, "steps", output, terminal: ProgressReporter.Redraws(false, "dumb"));
        for (int i = 1; i <= 10; i++) bar.Report(i);
        bar.Note("note");
        Assert.DoesNotContain('\r', output.ToString());
        Assert.DoesNotContain('\u001b', output.ToString());
    }
}
