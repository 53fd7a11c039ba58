using Eslm.Distributed;
using Eslm.Training;
using Eslm.Data;

namespace Eslm.Cli;

/// <summary>
/// Runs a command body on every process of an <c>mpirun</c> job (docs/distributed.md); without mpirun it is exactly
/// <see cref="CliRunner.Run"/> with <see cref="SingleProcess"/> and Open MPI is never loaded.
/// <para>Failure contract: a rank whose body fails (error line already printed by <see cref="CliRunner"/>, or an
/// unexpected exception) prints "eslm: rank r of P failed: …" and calls MPI_Abort, which ends every rank of the job;
/// otherwise its peers would wait forever in the next collective. A rank that dies outright (killed, crashed) is
/// detected by mpirun, which ends the others and names the rank. Success ends with MPI_Finalize on every rank.</para>
/// </summary>
public static class MpiCli
{
    public static int Run(Func<IDistributed, int> body)
    {
        IDistributed processes;
        try { processes = MpiLaunch.Connect(); }
        catch (DllNotFoundException e)
        {
            Console.Error.WriteLine($"eslm: error: {e.Message}");
            return 1;
        }
        if (processes is not MpiDistributed mpi) return CliRunner.Run(() => body(processes));

        int rc;
        try { rc = CliRunner.Run(() => body(mpi)); }
        catch (Exception e)
        {
            mpi.Abort(70, e.ToString());
            throw;
        }
        if (rc != 0) mpi.Abort(rc, "see the error above");
        mpi.Dispose();
        return rc;
    }

    /// <summary>
    /// This rank's data: <paramref name="open"/> is asked for global batches of P·<paramref name="batchPerRank"/>
    /// sequences and the rank keeps its slice (<see cref="RankSlicedSource"/>); in one process, the source itself.
    /// Every command that trains under mpirun (train, experiment arms) should open its data through this.
    /// </summary>
    public static IBatchSource OpenSlice(IDistributed processes, int batchPerRank, Func<int, IBatchSource> open) =>
        Slice(processes, open(batchPerRank * processes.Size));

    /// <summary>This rank's slice of a source of global batches (the source itself in one process); a validation sample's
    /// slice keeps its weights (<see cref="RankSlicedValidation"/>).</summary>
    public static IBatchSource Slice(IDistributed processes, IBatchSource global) =>
        processes.Size == 1 ? global
        : global is IValidationSource sample ? new RankSlicedValidation(sample, processes.Rank, processes.Size)
        : new RankSlicedSource(global, processes.Rank, processes.Size);

    /// <summary>
    /// Test hook: <c>ESLM_TEST_KILL=RANK:STEP</c> makes that rank kill itself (SIGKILL, no clean-up) once it has finished
    /// STEP optimizer steps, to test that a dead process takes the job down and that <c>--resume</c> continues it;
    /// <c>RANK:STEP:throw</c> makes it fail with an error instead (the abort path).
    /// </summary>
    public static void MaybeDieForTest(IDistributed processes, int stepsDone)
    {
        string? spec = Environment.GetEnvironmentVariable("ESLM_TEST_KILL");
        if (spec is null) return;
        var parts = spec.Split(':');
        if (parts.Length is 2 or 3 && int.TryParse(parts[0], out int rank) && int.TryParse(parts[1], out int step)
            && rank == processes.Rank && step == stepsDone)
        {
            if (parts.Length == 3 && parts[2] == "throw") throw new InvalidOperationException($"ESLM_TEST_KILL: simulated failure after step {step}");
            Console.Error.WriteLine($"eslm: ESLM_TEST_KILL: rank {rank} kills itself after step {step}");
            Console.Error.Flush();
            System.Diagnostics.Process.GetCurrentProcess().Kill();
        }
    }
}
