using Eslm.Selection;
using Eslm.Training;
using Eslm.Distributed;

namespace Eslm.Tests.Distributed;

/// <summary>
/// A fake communicator for testing collective algorithms without MPI: P threads, each with its own
/// <see cref="IDistributed"/>; an allreduce deposits each rank's buffer, waits for all, sums in rank order, waits again.
/// </summary>
public sealed class InProcessRanks
{
    private readonly Barrier _barrier;
    private readonly double[][] _slots;
    private readonly float[][] _floatSlots;

    public InProcessRanks(int size)
    {
        Size = size;
        _barrier = new Barrier(size);
        _slots = new double[size][];
        _floatSlots = new float[size][];
    }

    public int Size { get; }

    /// <summary>Number of double allreduces rank 0 made (each rank makes the same number).</summary>
    public int DoubleReductions { get; private set; }
    public long DoublesReduced { get; private set; }

    /// <summary>Runs <paramref name="body"/> on every rank in parallel threads; returns the per-rank results.</summary>
    public T[] Run<T>(Func<IDistributed, T> body)
    {
        var results = new T[Size];
        var errors = new Exception?[Size];
        var threads = Enumerable.Range(0, Size).Select(r => new Thread(() =>
        {
            try { results[r] = body(new FakeRank(this, r)); }
            catch (Exception e) { errors[r] = e; }
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        foreach (var e in errors) if (e is not null) throw new AggregateException(errors.Where(x => x is not null)!);
        return results;
    }

    private sealed class FakeRank(InProcessRanks group, int rank) : IDistributed
    {
        private uint[]? _keys;
        public int Rank => rank;
        public int Size => group.Size;

        public void AllReduceSum(Span<double> values)
        {
            group._slots[rank] = values.ToArray();
            group._barrier.SignalAndWait();
            for (int i = 0; i < values.Length; i++)
            {
                double sum = 0;
                for (int r = 0; r < group.Size; r++) sum += group._slots[r][i];
                values[i] = sum;
            }
            if (rank == 0) { group.DoubleReductions++; group.DoublesReduced += values.Length; }
            group._barrier.SignalAndWait();
        }

        public void AllReduceSum(Span<float> values)
        {
            group._floatSlots[rank] = values.ToArray();
            group._barrier.SignalAndWait();
            for (int i = 0; i < values.Length; i++)
            {
                float sum = 0;
                for (int r = 0; r < group.Size; r++) sum += group._floatSlots[r][i];
                values[i] = sum;
            }
            group._barrier.SignalAndWait();
        }

        public float GlobalThreshold(ReadOnlySpan<float> localScores, ThresholdRule rule) =>
            Eslm.Distributed.GlobalValueAtRisk.Threshold(localScores, rule, this, ref _keys);
    }
}
