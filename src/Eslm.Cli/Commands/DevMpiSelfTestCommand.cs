using System.CommandLine;
using Eslm.Distributed;
using Eslm.Tensors;
using Eslm.Selection;

namespace Eslm.Cli.Commands;

/// <summary>
/// Hidden test helper (<c>mpirun -np P eslm dev-mpi-selftest</c>): checks the Open MPI collectives on real processes.
/// Every rank builds the same seeded score sets (continuous, heavy ties, signed zeros, infinities and extremes), takes
/// its uneven slice, and compares <see cref="MpiDistributed.GlobalThreshold"/> with the single-process VaR of the whole
/// set for many α; then checks bucketed fp32 and fp64 in-place allreduces against closed-form sums. Prints one line per
/// rank and exits non-zero (aborting the job) on the first mismatch.
/// </summary>
public static class DevMpiSelfTestCommand
{
    public static Command Create()
    {
        var timeFloats = new Option<long>("--time-allreduce") { Description = "Instead: time in-place fp32 allreduces of this many floats (after a barrier)" };
        var repeat = new Option<int>("--repeat") { DefaultValueFactory = _ => 5 };
        var command = new Command("dev-mpi-selftest", "Test helper: checks MPI collectives and the global threshold.") { timeFloats, repeat };
        command.Hidden = true;
        command.SetAction(parse => MpiCli.Run(processes =>
        {
            if (processes is not MpiDistributed mpi) throw new InvalidOperationException("dev-mpi-selftest must run under mpirun");
            if (parse.GetValue(timeFloats) is > 0 and long count) return TimeAllReduce(mpi, checked((int)count), parse.GetValue(repeat));
            int checks = 0;
            var rng = new Rng(42); // same stream on every rank
            double[] alphas = [0, 1e-9, 0.01, 0.1, 0.25, 0.5, 0.6, 0.75, 0.9, 0.999];
            float[] specials = [float.NegativeInfinity, -float.MaxValue, -1e-40f, -0f, 0f, float.Epsilon, 1e-38f, 1f, 1.0000001f, float.MaxValue, float.PositiveInfinity];
            for (int set = 0; set < 24; set++)
            {
                int n = set % 6 == 0 ? rng.NextInt(5) : 1 + rng.NextInt(3000);
                var all = new float[n];
                for (int i = 0; i < n; i++)
                    all[i] = (set % 4) switch
                    {
                        0 => rng.NextInt(1 << 20) / 1000f - 300f,      // continuous-ish
                        1 => rng.NextInt(4),                            // four values, many ties
                        2 => specials[rng.NextInt(specials.Length)],    // extremes
                        _ => rng.NextInt(2) == 0 ? -0f : 0f,            // signed zeros only
                    };
                // Uneven slices: rank r gets [cut_r, cut_{r+1}), cuts drawn from the shared stream (some slices empty).
                var cuts = Enumerable.Range(0, mpi.Size - 1).Select(_ => rng.NextInt(n + 1)).Order().Prepend(0).Append(n).ToArray();
                var mine = all.AsSpan(cuts[mpi.Rank], cuts[mpi.Rank + 1] - cuts[mpi.Rank]);
                foreach (double alpha in alphas)
                {
                    float expected = ValueAtRisk.Threshold(all, alpha, new float[n]);
                    float actual = mpi.GlobalThreshold(mine, ThresholdRule.OfAlpha(alpha));
                    if (!(expected == actual || (float.IsNegativeInfinity(expected) && float.IsNegativeInfinity(actual))))
                        throw new InvalidOperationException($"set {set} (n={n}), alpha {alpha}: global threshold {actual:R} but single-process {expected:R}");
                    checks++;
                }
            }

            // fp32 in place, several buckets (7 elements each) and a ragged last bucket: element i of rank r is r + i/8.
            int bucket = mpi.BucketFloats;
            mpi.BucketFloats = 7;
            var floats = Enumerable.Range(0, 45).Select(i => mpi.Rank + i / 8f).ToArray();
            mpi.AllReduceSum(floats);
            mpi.BucketFloats = bucket;
            float rankSum = mpi.Size * (mpi.Size - 1) / 2f;
            for (int i = 0; i < floats.Length; i++)
                if (floats[i] != rankSum + mpi.Size * (i / 8f)) throw new InvalidOperationException($"fp32 allreduce element {i}: {floats[i]}");
            checks++;
            Span<double> doubles = [mpi.Rank, 1, 1e300];
            mpi.AllReduceSum(doubles);
            if (doubles[0] != rankSum || doubles[1] != mpi.Size || doubles[2] != 1e300 * mpi.Size)
                throw new InvalidOperationException($"fp64 allreduce: {doubles[0]}, {doubles[1]}, {doubles[2]}");
            checks++;
            Console.WriteLine($"rank {mpi.Rank} of {mpi.Size}: {checks} checks passed");
            return 0;
        }));
        return command;
    }

    /// <summary>Pure communication cost: barrier, then one bucketed fp32 allreduce; the median over repeats (rank 0 prints).</summary>
    private static int TimeAllReduce(MpiDistributed mpi, int count, int repeats)
    {
        var buffer = new float[count];
        buffer.AsSpan().Fill(1f);
        var times = new List<double>();
        for (int i = 0; i < repeats + 1; i++)
        {
            mpi.Barrier();
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            mpi.AllReduceSum(buffer);
            if (i > 0) times.Add(System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        double median = times.Order().ElementAt(times.Count / 2);
        if (mpi.Rank == 0)
            Console.WriteLine($"allreduce of {count} floats ({count * 4.0 / 1e6:F1} MB) over {mpi.Size} processes: median {median:F1} ms " +
                              $"({count * 4.0 / 1e6 / (median / 1000):F0} MB/s of gradient)");
        return 0;
    }
}
