using System.Globalization;

namespace Eslm.IO;

/// <summary>How Eslm prints a duration in progress lines and ETAs: "45s", "3m07s", "2h05m".</summary>
public static class Durations
{
    public static string Format(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:D2}m"
        : t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes}m{t.Seconds:D2}s"
        : t.TotalSeconds.ToString("F0", CultureInfo.InvariantCulture) + "s";
}
