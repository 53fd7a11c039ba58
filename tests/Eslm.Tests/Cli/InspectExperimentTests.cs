using Eslm.Experiments;
using Eslm.IO;
using Eslm.Reporting;
using Eslm.Tests.Data;
using Eslm.Tests.Experiments;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>
/// `eslm inspect` on an experiment folder (what it compares and how far it is, also while a run holds its lock) and on a
/// committed study's metrics.jsonl.gz; a cut .gz log is an error naming it, for inspect and for the report alike.
/// </summary>
public class InspectExperimentTests : DataTestBase
{
    private string Experiment()
    {
        string root = Path.Combine(Dir, "exp");
        OneRunExperiment.Run(root, "inspected");
        return root;
    }

    private static string Log(string root) => Path.Combine(ExperimentRunner.SeedDirectory(root, "clm", 1), "metrics.jsonl.gz");

    [Fact]
    public void An_experiment_folder_is_described_even_while_a_run_holds_its_lock()
    {
        string root = Experiment();
        using var running = RunLock.AcquireFolder(root); // what `eslm experiment run` holds while it trains

        var r = CliHarness.Run("inspect", root);

        Assert.Equal(0, r.Code);
        Assert.Equal("", r.Err);
        Assert.Contains($"{root}: experiment \"inspected\", 1 arms × 1 seeds, 1 runs", r.Out);
        Assert.Contains("arms: clm (clm)", r.Out);
        Assert.Contains("runs: 1 finished, 0 started, 0 not started", r.Out);
        Assert.Contains(ExperimentReport.ReportFile, r.Out);
    }

    [Fact]
    public void The_runs_left_are_listed_by_point_arm_and_seed()
    {
        string root = Experiment();
        File.Delete(Path.Combine(ExperimentRunner.SeedDirectory(root, "clm", 1), ExperimentRunner.EvalFile));

        var r = CliHarness.Run("inspect", root);

        Assert.Equal(0, r.Code);
        Assert.Contains("runs: 0 finished, 1 started, 0 not started", r.Out);
        Assert.Contains("left at tiny*, steps 2: clm (seed 1 started)", r.Out);
    }

    [Fact]
    public void A_committed_gzipped_log_is_described_like_the_plain_one()
    {
        string log = Log(Experiment());
        Assert.True(File.Exists(log));

        var r = CliHarness.Run("inspect", log);

        Assert.Equal(0, r.Code);
        Assert.Contains("training metrics (one record per optimizer step and per validation), gzipped, ", r.Out);
        Assert.Contains("types: train 2, val 2", r.Out);
    }

    [Fact]
    public void A_cut_gzipped_log_is_an_error_naming_it_for_inspect_and_for_the_report()
    {
        string root = Experiment();
        string log = Log(root);
        string plain = Path.Combine(Path.GetDirectoryName(log)!, "metrics.jsonl");
        if (File.Exists(plain)) File.Delete(plain); // a fresh clone of a committed study has only the .gz
        byte[] bytes = File.ReadAllBytes(log);
        File.WriteAllBytes(log, bytes[..(bytes.Length * 2 / 3)]);

        var r = CliHarness.Run("inspect", log);
        Assert.Equal(1, r.Code);
        Assert.StartsWith($"eslm: error: {log}: truncated or corrupt gzip file", r.Err);

        var e = Assert.Throws<InvalidDataException>(() => ExperimentReport.Write(root));
        Assert.StartsWith($"{log}: truncated or corrupt gzip file", e.Message);
    }
}
