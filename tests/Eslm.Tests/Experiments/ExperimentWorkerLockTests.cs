using System.Text.Json.Nodes;
using Eslm.Data;
using Eslm.Evaluation;
using Eslm.Experiments;
using Eslm.Model;
using Eslm.Reporting;
using Eslm.IO;
using Eslm.Tests.Data;
using Eslm.Tests.Reference;
using Eslm.Training;
using Xunit;

namespace Eslm.Tests.Experiments;

/// <summary>Issue 21 (defects 2 and 7): plain runs and --worker processes on one experiment folder follow one lock discipline.</summary>
public class ExperimentWorkerLockTests : DataTestBase
{
    private static ExperimentSpec Spec() => ExperimentSpec.Parse((JsonObject)JsonNode.Parse("""
        {
          "name": "locks", "model": {"preset": "tiny", "layers": 1, "heads": 2, "channels": 16, "context": 8, "vocab": 101},
          "budget": {"steps": 2}, "train": {"batch": 2, "seq": 8, "lr": 0.01, "warmup": 1},
          "data": "noisy", "seeds": [1], "val_every": 2, "val_batches": 1, "checkpoint_every": 2,
          "eval": [{"name": "noisy", "data": "noisy", "domain": "in"}],
          "arms": [{"name": "clm", "strategy": "clm"}, {"name": "eslm", "strategy": "eslm", "alpha": 0.5}]
        }
        """)!);

    /// <summary>A test host whose first training stream waits until released (a worker caught in the middle of its work).</summary>
    private sealed class PausingHost : IExperimentHost
    {
        private readonly TestHost _inner = new();
        public readonly ManualResetEventSlim Started = new(), Release = new();

        public IBatchSource OpenTrain(string data, int batchSize, int sequenceLength, ulong seed, SamplingMode sampling)
        {
            Started.Set();
            Release.Wait(TimeSpan.FromMinutes(2));
            return _inner.OpenTrain(data, batchSize, sequenceLength, seed, sampling);
        }

        public Func<IBatchSource>? OpenValidation(string data, int batchSize, int sequenceLength, int batches) => _inner.OpenValidation(data, batchSize, sequenceLength, batches);
        public EvalCorpus OpenEvalCorpus(string data) => _inner.OpenEvalCorpus(data);
        public int[] Encode(string text) => _inner.Encode(text);
        public Gpt LoadModel(string path) => _inner.LoadModel(path);
        public string WriteReport(string directory) => _inner.WriteReport(directory);
        public void Log(string message) => _inner.Log(message);
    }

    [Fact]
    public async Task A_plain_run_is_refused_naming_the_pid_while_a_worker_is_on_the_experiment_and_leaves_its_run_alone()
    {
        Blas.Ensure();
        var spec = Spec();
        string root = Path.Combine(Dir, "runs");
        var host = new PausingHost();
        var worker = Task.Run(() => new ExperimentRunner(spec, root, host, worker: true).Run());
        Assert.True(host.Started.Wait(TimeSpan.FromMinutes(2)), "the worker never started training");
        try
        {
            var plain = new TestHost();
            var e = Assert.Throws<IOException>(() => new ExperimentRunner(spec, root, plain).Run());
            Assert.Contains($"process {Environment.ProcessId}", e.Message);
            Assert.Empty(Directory.GetFiles(root, ExperimentRunner.EvalFile, SearchOption.AllDirectories)); // it trained nothing
        }
        finally { host.Release.Set(); }
        await worker.WaitAsync(TimeSpan.FromMinutes(2));
        foreach (string arm in new[] { "clm", "eslm" })
            Assert.True(File.Exists(Path.Combine(ExperimentRunner.SeedDirectory(root, arm, 1), ExperimentRunner.EvalFile)), arm);
        // Once the workers are gone, a plain run may take the folder again and keeps every finished run.
        string before = File.ReadAllText(Path.Combine(ExperimentRunner.SeedDirectory(root, "clm", 1), ExperimentRunner.EvalFile));
        new ExperimentRunner(spec, root, new TestHost()).Run();
        Assert.Equal(before, File.ReadAllText(Path.Combine(ExperimentRunner.SeedDirectory(root, "clm", 1), ExperimentRunner.EvalFile)));
    }

    [Fact]
    public void Only_the_last_worker_to_finish_writes_the_report_so_it_is_never_older_than_the_results()
    {
        Blas.Ensure();
        var spec = Spec();
        string root = Path.Combine(Dir, "runs");
        string eslm = ExperimentRunner.SeedDirectory(root, "eslm", 1);
        Directory.CreateDirectory(Path.GetDirectoryName(eslm)!);
        string report = Path.Combine(root, ExperimentReport.ReportFile);
        using (RunLock.AcquireFile(eslm)) // another worker is still training eslm/seed1
        {
            var early = new TestHost();
            new ExperimentRunner(spec, root, early, worker: true).Run();
            Assert.False(File.Exists(report), "a worker that finished first wrote a report missing the other worker's run");
            Assert.Contains(early.Logs, l => l.Contains("1 run not finished yet"));
        }
        new ExperimentRunner(spec, root, new TestHost(), worker: true).Run(); // the last worker
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(root, SummaryJson.FileName)))!;
        Assert.All(summary["points"]![0]!["arms"]!.AsArray(), arm => Assert.Equal(1, (int)arm!["seeds_finished"]!));
    }

    [Fact]
    public void Workers_share_the_experiment_lock_and_an_exclusive_request_names_every_worker()
    {
        string root = Path.Combine(Dir, "shared");
        using (RunLock.AcquireFolderShared(root))
        using (RunLock.AcquireFolderShared(root))
        {
            var e = Assert.Throws<IOException>(() => RunLock.AcquireFolder(root));
            Assert.Contains($"process {Environment.ProcessId}", e.Message);
        }
        using (RunLock.AcquireFolder(root))
        {
            var e = Assert.Throws<IOException>(() => RunLock.AcquireFolderShared(root));
            Assert.Contains($"process {Environment.ProcessId}", e.Message);
        }
        using (RunLock.AcquireFolderShared(root)) { } // free again
    }
}
