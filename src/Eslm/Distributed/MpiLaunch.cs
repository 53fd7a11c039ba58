
namespace Eslm.Distributed;

/// <summary>
/// How this process was started. Open MPI's <c>mpirun</c> exports <c>OMPI_COMM_WORLD_SIZE</c>, <c>OMPI_COMM_WORLD_RANK</c>
/// and <c>OMPI_COMM_WORLD_LOCAL_SIZE</c> (processes on this host) to every process it launches; without them this is a
/// plain single process and Open MPI is never loaded.
/// </summary>
public static class MpiLaunch
{
    /// <summary>Processes of this job on this host (they share its cores), or 1.</summary>
    public static int LocalSize => ReadInt("OMPI_COMM_WORLD_LOCAL_SIZE") ?? 1;

    /// <summary>True when launched by Open MPI's mpirun (even with -np 1).</summary>
    public static bool UnderMpirun => ReadInt("OMPI_COMM_WORLD_SIZE") is not null;

    /// <summary>
    /// The communicator for this process: <see cref="MpiDistributed"/> (MPI_Init on first use) under mpirun,
    /// <see cref="SingleProcess"/> otherwise. Dispose the result at the end (MPI_Finalize).
    /// </summary>
    public static IDistributed Connect() => UnderMpirun ? MpiDistributed.Initialize() : SingleProcess.Instance;

    /// <summary>Threads per process when the user asked for "all cores" (0): the host's cores shared by its ranks.</summary>
    public static int DefaultThreads => Math.Max(1, Environment.ProcessorCount / Math.Max(1, LocalSize));

    private static int? ReadInt(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out int v) ? v : null;
}
