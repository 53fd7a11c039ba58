using Eslm.IO;

namespace Eslm.Experiments;

/// <summary>
/// Where one sitting of <c>eslm experiment run</c> stands: run k of the N it found unfinished, and about how long the
/// rest will take at this sitting's pace. A study of hours, run a seed per sitting (issue 23), needs both; each run's own
/// progress line only knows its run.
/// <para>The pace is the budget this sitting has spent per second of its trained runs, training and evaluation together,
/// so a FLOPs budget (the same units for every arm) gives a fair estimate across arms. A resumed run counts only the share of
/// its budget trained in this sitting. Runs another worker took, or found finished, leave the estimate.</para>
/// </summary>
public sealed class SittingProgress(IReadOnlyList<double> budgets)
{
    private readonly bool[] _settled = new bool[budgets.Count];
    private double _budgetDone, _seconds;
    private int _trained;

    /// <summary>Runs this sitting found unfinished.</summary>
    public int Count => budgets.Count;

    /// <summary>"[k/N]" for run <paramref name="index"/> (0-based), the prefix of its log lines.</summary>
    public string Label(int index) => $"[{index + 1}/{Count}]";

    /// <summary>Run <paramref name="index"/> was not trained here (another worker had it, or it finished meanwhile).</summary>
    public void Skipped(int index) => _settled[index] = true;

    /// <summary>
    /// Run <paramref name="index"/> trained and evaluated in <paramref name="seconds"/>, <paramref name="share"/> of its
    /// budget here (below 1 when it resumed from a checkpoint); returns the sitting's status line, or null when nothing is left.
    /// </summary>
    public string? Trained(int index, double seconds, double share = 1)
    {
        _settled[index] = true;
        _trained++;
        _budgetDone += budgets[index] * share;
        _seconds += seconds;
        double left = Enumerable.Range(0, Count).Where(i => !_settled[i]).Sum(i => budgets[i]);
        int runsLeft = _settled.Count(s => !s);
        if (runsLeft == 0) return null;
        string eta = _budgetDone > 0 && _seconds > 0 ? $"; about {Durations.Format(TimeSpan.FromSeconds(left / _budgetDone * _seconds))} left at this pace" : "";
        return $"sitting: {_trained} run{(_trained == 1 ? "" : "s")} trained in {Durations.Format(TimeSpan.FromSeconds(_seconds))}, {runsLeft} left{eta}";
    }
}
