using Eslm.Cli;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>Progress lines: rates from watched work only and only once meaningful; non-terminal output throttled.</summary>
public class ProgressReporterTests
{
    private sealed class FakeClock { public TimeSpan Now; public TimeSpan Read() => Now; }

    private static (ProgressReporter Bar, StringWriter Output, FakeClock Clock) Make(long total, string unit)
    {
        var output = new StringWriter();
        var clock = new FakeClock();
        return (new ProgressReporter("work", total, unit, output, terminal: false, clock.Read), output, clock);
    }

    private static string[] Lines(StringWriter w) => w.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void No_rate_or_eta_before_a_second_of_watched_work()
    {
        var (bar, output, clock) = Make(1_000_000_000, "tokens");
        clock.Now = TimeSpan.FromMilliseconds(1);
        bar.Report(113_749_600); // a burst right at the start: 1e11 tokens/s if divided by 1 ms
        Assert.DoesNotContain("/s", output.ToString());
        Assert.DoesNotContain("ETA", output.ToString());
    }

    [Fact]
    public void Rates_count_only_work_done_since_the_first_report()
    {
        var (bar, output, clock) = Make(1000, "steps");
        clock.Now = TimeSpan.FromSeconds(30);
        bar.Report(500); // resumed at step 500 after 30 s of loading: not 16.7 steps/s
        clock.Now = TimeSpan.FromSeconds(50);
        bar.Report(520);
        string last = Lines(output)[^1];
        Assert.Contains("520/1000 steps", last);
        Assert.Contains("| 1.00 steps/s", last);
        Assert.Contains("ETA 8m00s", last);
    }

    [Fact]
    public void Non_terminal_output_is_about_one_line_per_ten_seconds_plus_the_last()
    {
        var (bar, output, clock) = Make(350, "steps");
        for (int step = 1; step <= 350; step++)
        {
            clock.Now = TimeSpan.FromSeconds(step * 0.1); // 35 s of work, a report every 0.1 s
            bar.Report(step);
        }
        var lines = Lines(output);
        Assert.InRange(lines.Length, 4, 6);
        Assert.StartsWith("work 350/350 steps (100%)", lines[^1]);
    }

    [Fact]
    public void Bytes_are_shown_in_sensible_units_and_repeated_reports_are_dropped()
    {
        var (bar, output, clock) = Make(5_000_000, "B");
        bar.Report(0);
        bar.Report(0);
        clock.Now = TimeSpan.FromSeconds(20);
        bar.Report(2_500_000);
        clock.Now = TimeSpan.FromSeconds(40);
        bar.Report(5_000_000);
        var lines = Lines(output);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("work 0 B/5.0 MB", lines[0]);
        Assert.Contains("2.5 MB/5.0 MB (50%) | 125 kB/s | ETA 20s", lines[1]);
        bar.Report(5_000_000); // the per-file report after the last batch's: no second final line
        Assert.Equal(3, Lines(output).Length);
    }

    [Fact]
    public void Percent_progress_shows_no_percent_per_second()
    {
        var (bar, output, clock) = Make(100, "%");
        bar.Report(1);
        clock.Now = TimeSpan.FromSeconds(12);
        bar.Report(13);
        Assert.DoesNotContain("%/s", output.ToString());
        Assert.Contains("work 13% | ETA 1m27s", Lines(output)[^1]);
    }
}
