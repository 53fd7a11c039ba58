using Eslm.Data;

namespace Eslm.Training;

/// <summary>One micro-batch of a step: the batch as drawn and, after sequence filtering, as the student sees it.</summary>
internal sealed class MicroBatch(int tokens)
{
    public readonly int[] OriginalInputs = new int[tokens], OriginalTargets = new int[tokens];
    private readonly int[] _filteredInputs = new int[tokens], _filteredTargets = new int[tokens];
    public int[] Inputs = [], Targets = [];
    /// <summary>Sequences the student sees (B, or fewer after a sequence filter).</summary>
    public int B;
    public int SequenceLength;
    /// <summary>Where this micro-batch's tokens start in the step's score and keep buffers.</summary>
    public int Offset;
    public long[] RowStarts = [];
    public int[] RowSources = [];
    public int PositionCount;

    public int Tokens => B * SequenceLength;

    /// <summary>Keeps where the rows came from, when the source says (sequence filtering later keeps them aligned).</summary>
    public void CapturePositions(IBatchSource data)
    {
        PositionCount = 0;
        if (data is not IPositionedBatchSource p || p.RowStarts.Length == 0) return;
        if (RowStarts.Length < p.RowStarts.Length) { RowStarts = new long[p.RowStarts.Length]; RowSources = new int[p.RowStarts.Length]; }
        p.RowStarts.CopyTo(RowStarts);
        p.RowSources.CopyTo(RowSources);
        PositionCount = p.RowStarts.Length;
    }

    /// <summary>The student sees the <paramref name="kept"/> sequences (ascending indices), or all when null.</summary>
    public void KeepSequences(int[]? kept, int batchSize, int T)
    {
        SequenceLength = T;
        if (kept is null) { Inputs = OriginalInputs; Targets = OriginalTargets; B = batchSize; return; }
        for (int j = 0; j < kept.Length; j++)
        {
            Array.Copy(OriginalInputs, kept[j] * T, _filteredInputs, j * T, T);
            Array.Copy(OriginalTargets, kept[j] * T, _filteredTargets, j * T, T);
            if (PositionCount > 0) { RowStarts[j] = RowStarts[kept[j]]; RowSources[j] = RowSources[kept[j]]; }
        }
        if (PositionCount > 0) PositionCount = kept.Length;
        Inputs = _filteredInputs; Targets = _filteredTargets; B = kept.Length;
    }
}
