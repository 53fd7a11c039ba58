namespace Eslm.Data;

/// <summary>Where the last window of a stream starts when the targets do not fill whole windows.</summary>
public enum WindowTail
{
    /// <summary>
    /// The last window is a full T-token window that ends at the final target, overlapping its predecessor; its repeated
    /// targets are not new. Validation batches and `eslm score` (so Rho-1's sidecar lines up with them).
    /// </summary>
    Overlap,

    /// <summary>The last window starts where its predecessor ended and holds only the remaining targets (`eslm eval`).</summary>
    Partial,
}

/// <summary>
/// One window of a token stream x: inputs x[Start .. Start+Length), targets x[Start+1 .. Start+Length]. Targets at stream
/// indices below <see cref="FirstNewTarget"/> were already predicted by an earlier window.
/// </summary>
public readonly record struct TokenWindow(long Start, int Length, long FirstNewTarget)
{
    /// <summary>Whether window position <paramref name="t"/> predicts a target that no earlier window predicted.</summary>
    public bool IsNew(int t) => t < Length && Start + 1 + t >= FirstNewTarget;
}

/// <summary>
/// The one way a token stream is cut into T-token windows: the targets 1..<c>targets</c> (stream tokens 0..targets) are
/// covered by ceil(targets/T) windows; window k starts at k·T, except the last, whose start follows <see cref="WindowTail"/>.
/// Every target is new in exactly one window.
/// </summary>
public static class TokenWindows
{
    /// <summary>Windows needed to predict <paramref name="targets"/> targets, T at a time: ceil(targets / T).</summary>
    public static long Count(long targets, int T)
    {
        if (T < 1) throw new ArgumentException($"window length must be >= 1 (got {T})");
        if (targets < 0) throw new ArgumentException($"target count must be >= 0 (got {targets})");
        return (targets + T - 1) / T;
    }

    /// <summary>Window <paramref name="index"/> of <see cref="Count"/>(targets, T).</summary>
    public static TokenWindow Get(long index, long targets, int T, WindowTail tail)
    {
        long count = Count(targets, T);
        if (index < 0 || index >= count) throw new ArgumentOutOfRangeException(nameof(index), $"window {index} is outside [0, {count})");
        long aligned = index * T;
        if (index < count - 1) return new TokenWindow(aligned, T, aligned + 1);
        if (tail == WindowTail.Partial) return new TokenWindow(aligned, (int)(targets - aligned), aligned + 1);
        if (targets < T) throw new ArgumentException($"an overlapping last window needs at least T = {T} targets (got {targets})");
        return new TokenWindow(targets - T, T, aligned + 1);
    }
}
