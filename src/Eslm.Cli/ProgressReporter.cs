using Eslm.IO;
using System.Diagnostics;
using System.Globalization;

namespace Eslm.Cli;

/// <summary>
/// Progress for long work on stderr: a redrawn bar on a terminal (<see cref="Redraws"/>); otherwise plain lines, at most one per
/// <see cref="LogInterval"/> (plus the first and the last), so logs and CI output stay short.
/// <para>Rates and ETAs count only work done while this reporter watched, from its first report on: work restored on a
/// resume, or done before the first report (start-up, JIT), would make them absurd. They are shown only once they mean
/// something: at least <see cref="MinRateSeconds"/> elapsed and some work done since that first report.</para>
/// Unit "B" shows amounts in kB/MB/GB; unit "%" shows no rate (a percent per second says nothing), only the ETA.
/// </summary>
public sealed class ProgressReporter(string label, long total, string unit, TextWriter? output = null, bool? terminal = null, Func<TimeSpan>? clock = null)
{
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);
    public const double MinRateSeconds = 1.0;

    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private readonly bool _terminal = terminal ?? Redraws(Console.IsErrorRedirected, Environment.GetEnvironmentVariable("TERM"));
    private TextWriter Output => output ?? Console.Error;
    private (long Done, TimeSpan At)? _first;
    private TimeSpan? _lastLine;
    private long _lastDone = -1;

    /// <summary>The amount of work; may grow while reading inputs whose size was not known up front.</summary>
    public long Total { get; set; } = total;

    /// <summary>
    /// Whether progress may redraw one line with <c>\r</c> and <c>ESC[K</c>: only on a terminal that understands them (not
    /// when stderr goes to a file or pipe, nor with <c>TERM=dumb</c>, as in Emacs shells and some CI logs).
    /// </summary>
    public static bool Redraws(bool errorRedirected, string? term) => !errorRedirected && term != "dumb";

    public void Report(long done, string details = "")
    {
        var now = clock?.Invoke() ?? _watch.Elapsed;
        bool final = done >= Total;
        if (done == _lastDone && (final || !_terminal)) return; // nothing new (e.g. a per-file report right after the last batch's)
        _lastDone = done;
        _first ??= (done, now);
        double seconds = (now - _first.Value.At).TotalSeconds;
        long work = done - _first.Value.Done;
        double? rate = seconds >= MinRateSeconds && work > 0 ? work / seconds : null;
        string eta = final ? "" : rate is { } r ? $" | ETA {Durations.Format(TimeSpan.FromSeconds(Math.Min((Total - done) / r, 1e7)))}" : "";
        string speed = rate is { } v && unit != "%" ? $" | {Amount(v)}/s" : "";
        double fraction = Total > 0 ? Math.Min(1, (double)done / Total) : 1;
        string tail = details.Length > 0 ? " " + details : "";
        if (_terminal)
        {
            int width = 24, filled = (int)(fraction * width);
            Output.Write($"\r{label} [{new string('#', filled)}{new string('.', width - filled)}] {fraction * 100,3:F0}% {Progress(done)}{speed}{eta}{tail}\u001b[K");
            if (final) Output.WriteLine();
            return;
        }
        if (!final && _lastLine is { } last && now - last < LogInterval) return;
        _lastLine = now;
        Output.WriteLine(unit == "%" ? $"{label} {Progress(done)}{eta}{tail}" : $"{label} {Progress(done)} ({fraction * 100:F0}%){speed}{eta}{tail}");
    }

    /// <summary>A message that must not be overwritten by the bar.</summary>
    public void Note(string message)
    {
        if (_terminal) Output.Write("\r\u001b[K");
        Output.WriteLine(message);
    }

    /// <summary>"3/10 steps", "1.2 MB/5.0 MB", "40%".</summary>
    private string Progress(long done) =>
        unit == "%" ? $"{done}%" : unit == "B" ? $"{Amount(done)}/{Amount(Total)}" : $"{Number(done)}/{Number(Total)} {unit}";

    /// <summary>An amount (or a rate) with its unit: bytes scaled to kB/MB/GB, other counts with sensible decimals.</summary>
    private string Amount(double x) =>
        unit == "B" ? (x >= 1e9 ? $"{x / 1e9:F2} GB" : x >= 1e6 ? $"{x / 1e6:F1} MB" : x >= 1e3 ? $"{x / 1e3:F0} kB" : $"{x:F0} B") : $"{Number(x)} {unit}";

    /// <summary>Whole counts as integers; rates with 3 significant digits or so (0.26, 12.5, 157).</summary>
    private static string Number(double x) =>
        x.ToString(x >= 100 ? "F0" : x >= 10 ? "F1" : "F2", CultureInfo.InvariantCulture);

    private static string Number(long x) => x.ToString(CultureInfo.InvariantCulture);
}
