using System.Runtime.InteropServices;

namespace Eslm.Model;

/// <summary>How a backward op addresses its rows (see <see cref="RowPlan"/>).</summary>
internal enum RowSet
{
    /// <summary>In place: row r of a gradient buffer is token r, over the plan's <see cref="RowPlan.Ranges"/>.</summary>
    Ranges,

    /// <summary>Compact: row j of a gradient buffer is token <see cref="RowPlan.KeptRows"/>[j]; saved activations are read at that row.</summary>
    Kept,
}

/// <summary>
/// The rows a backward runs over, planned once from the per-token weights dL/dloss_i: the weighted (kept) rows, and for
/// every sequence its active length (last weighted position + 1). Positions after a sequence's last weighted token get
/// no gradient at all (causal attention), so the in-place layout covers each sequence's active prefix only; with every
/// row weighted that is all rows.
/// </summary>
internal sealed class RowPlan
{
    private readonly List<(int Start, int Count)> _ranges = new();

    /// <summary>The weighted rows in row order, [0, <see cref="Kept"/>) used (capacity B·T).</summary>
    public int[] KeptRows { get; private set; } = [];

    public int Kept { get; private set; }

    /// <summary>Where sequence b's kept rows start in <see cref="KeptRows"/>; entry B is <see cref="Kept"/>.</summary>
    public int[] SequenceKeptStart { get; private set; } = [];

    /// <summary>Per sequence: last weighted position + 1 (0 when none is weighted).</summary>
    public int[] ActiveLength { get; private set; } = [];

    /// <summary>Contiguous row ranges that cover every sequence's active prefix (adjacent prefixes merged).</summary>
    public ReadOnlySpan<(int Start, int Count)> Ranges => CollectionsMarshal.AsSpan(_ranges);

    /// <summary>Every row is weighted: the backward runs in place from the head down.</summary>
    public bool AllKept { get; private set; }

    /// <summary>Sizes the plan for batches up to <paramref name="batchSize"/> × <paramref name="sequenceLength"/>.</summary>
    public void Allocate(int batchSize, int sequenceLength)
    {
        KeptRows = new int[batchSize * sequenceLength];
        ActiveLength = new int[batchSize];
        SequenceKeptStart = new int[batchSize + 1];
    }

    /// <summary>Plans the rows of a B×T batch whose token weights are <paramref name="dLosses"/> (zero = dropped).</summary>
    public void Plan(ReadOnlySpan<float> dLosses, int B, int T)
    {
        int kept = 0;
        _ranges.Clear();
        for (int b = 0; b < B; b++)
        {
            int active = 0;
            SequenceKeptStart[b] = kept;
            for (int t = 0; t < T; t++)
            {
                int i = b * T + t;
                if (dLosses[i] != 0f) { KeptRows[kept++] = i; active = t + 1; }
            }
            ActiveLength[b] = active;
            if (active == 0) continue;
            int start = b * T;
            if (_ranges.Count > 0 && _ranges[^1].Start + _ranges[^1].Count == start)
                _ranges[^1] = (_ranges[^1].Start, _ranges[^1].Count + active);
            else _ranges.Add((start, active));
        }
        SequenceKeptStart[B] = kept;
        Kept = kept;
        AllKept = kept == B * T;
    }
}
