using System.Diagnostics;
using Eslm.Selection;

namespace Eslm.Distributed;

/// <summary>
/// Data-parallel collectives on Open MPI's MPI_COMM_WORLD (one process per rank, launched by <c>mpirun</c>).
/// <list type="bullet">
/// <item>fp32 sums (gradients) run in place (<c>MPI_IN_PLACE</c>) in buckets of <see cref="BucketFloats"/> elements, so
/// each message stays far below MPI's <c>int</c> count limit and the transport can pipeline them.</item>
/// <item>fp64 sums carry counts, loss sums, histograms.</item>
/// <item><see cref="GlobalThreshold"/> is <see cref="GlobalValueAtRisk"/>: 4 allreduces of 257 doubles, exact.</item>
/// </list>
/// MPI_COMM_WORLD keeps Open MPI's default error handler, MPI_ERRORS_ARE_FATAL: a failed collective, or a peer that died,
/// ends every process of the job (mpirun then prints which rank failed and why). Use from one thread (the one that
/// created it). <see cref="Dispose"/> calls MPI_Finalize; <see cref="Abort"/> ends the whole job.
/// </summary>
public sealed unsafe class MpiDistributed : IDistributed, IDisposable
{
    private static MpiDistributed? _instance;
    private uint[]? _keys;
    private bool _finalized;

    private MpiDistributed(int rank, int size)
    {
        Rank = rank;
        Size = size;
    }

    public int Rank { get; }
    public int Size { get; }

    /// <summary>Elements per fp32 allreduce (4 Mi floats = 16 MiB).</summary>
    public int BucketFloats { get; set; } = 1 << 22;

    /// <summary>Wall time spent inside collectives since start (communication plus waiting for slower ranks).</summary>
    public double CommunicationMilliseconds { get; private set; }

    /// <summary>Bytes this process handed to allreduces since start (each element once, whatever the algorithm sends).</summary>
    public long BytesReduced { get; private set; }

    /// <summary>Number of allreduce calls since start.</summary>
    public long Collectives { get; private set; }

    /// <summary>MPI_Init (once per process) and the rank/size of MPI_COMM_WORLD.</summary>
    public static MpiDistributed Initialize()
    {
        if (_instance is not null) return _instance;
        OpenMpi.Load();
        int initialized, rank, size;
        OpenMpi.Check(OpenMpi.Initialized(&initialized), "MPI_Initialized");
        if (initialized == 0) OpenMpi.Check(OpenMpi.Init(null, null), "MPI_Init");
        OpenMpi.Check(OpenMpi.CommRank(OpenMpi.CommWorld, &rank), "MPI_Comm_rank");
        OpenMpi.Check(OpenMpi.CommSize(OpenMpi.CommWorld, &size), "MPI_Comm_size");
        return _instance = new MpiDistributed(rank, size);
    }

    public void AllReduceSum(Span<float> values)
    {
        long start = Stopwatch.GetTimestamp();
        fixed (float* p = values)
        {
            for (int offset = 0; offset < values.Length; offset += BucketFloats)
            {
                int count = Math.Min(BucketFloats, values.Length - offset);
                OpenMpi.Check(OpenMpi.Allreduce(OpenMpi.InPlace, p + offset, count, OpenMpi.Float, OpenMpi.OpSum, OpenMpi.CommWorld), "MPI_Allreduce");
                Collectives++;
            }
        }
        BytesReduced += (long)values.Length * sizeof(float);
        CommunicationMilliseconds += Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    public void AllReduceSum(Span<double> values)
    {
        long start = Stopwatch.GetTimestamp();
        fixed (double* p = values)
            OpenMpi.Check(OpenMpi.Allreduce(OpenMpi.InPlace, p, values.Length, OpenMpi.Double, OpenMpi.OpSum, OpenMpi.CommWorld), "MPI_Allreduce");
        Collectives++;
        BytesReduced += (long)values.Length * sizeof(double);
        CommunicationMilliseconds += Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    public float GlobalThreshold(ReadOnlySpan<float> localScores, ThresholdRule rule) =>
        GlobalValueAtRisk.Threshold(localScores, rule, this, ref _keys);

    /// <summary>Waits until every process gets here.</summary>
    public void Barrier() => OpenMpi.Check(OpenMpi.Barrier(OpenMpi.CommWorld), "MPI_Barrier");

    /// <summary>
    /// Ends every process of the job (MPI_Abort on MPI_COMM_WORLD) after printing why on stderr. Used when this rank
    /// fails: its peers would otherwise wait forever in the next collective.
    /// </summary>
    public void Abort(int exitCode, string reason)
    {
        Console.Out.Flush();
        Console.Error.WriteLine($"eslm: rank {Rank} of {Size} failed: {reason}; aborting the MPI job (exit code {exitCode})");
        Console.Error.Flush();
        OpenMpi.Abort(OpenMpi.CommWorld, exitCode == 0 ? 1 : exitCode);
        Environment.Exit(exitCode == 0 ? 1 : exitCode); // not reached: MPI_Abort does not return
    }

    /// <summary>MPI_Finalize (collective: every rank must get here).</summary>
    public void Dispose()
    {
        if (_finalized) return;
        _finalized = true;
        int finalized;
        OpenMpi.Finalized(&finalized);
        if (finalized == 0) OpenMpi.Finalize();
    }
}
