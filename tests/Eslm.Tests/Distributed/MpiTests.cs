using System.Diagnostics;
using System.Text.Json.Nodes;
using Eslm.Checkpoints;
using Xunit;

namespace Eslm.Tests.Distributed;

/// <summary>
/// Real multi-process runs: <c>mpirun --oversubscribe -np P dotnet eslm.dll …</c> (Open MPI, installed by ./test.sh),
/// compared with one process. The CLI assembly sits next to the test binaries.
/// </summary>
public class MpiTests
{
    private static readonly string Cli = Path.Combine(AppContext.BaseDirectory, "eslm.dll");

    // tiny preset (L2 C64, full GPT-2 vocabulary so that rho1's preset:tiny reference fits), short sequences. AdamW moves
    // every weight with a gradient by about lr = 3e-4 per step, 30× the 1e-5 tolerance; it also turns the last-bit
    // differences of summing gradients in another order into up to ~lr/20 for the few weights whose gradient is near
    // its ε (measured on this machine: ≤ 1.5e-5 at lr 1e-3, ≤ 4.4e-6 at 3e-4), hence this rate.
    private static readonly string[] Common =
        ["train", "--model", "tiny", "--data", "random:50257", "--seq", "16", "--steps", "5", "--lr", "3e-4", "--warmup", "1",
         "--val-every", "0", "--val-batches", "2", "--threads", "1"];

    public record Result(int ExitCode, string Output);

    /// <summary>Runs the CLI under mpirun with <paramref name="ranks"/> processes (0 = plain single process, no mpirun).</summary>
    public static Result RunCli(int ranks, IEnumerable<string> args, IDictionary<string, string>? env = null, int timeoutSeconds = 120)
    {
        var psi = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (ranks == 0)
            psi.FileName = "dotnet";
        else
        {
            psi.FileName = FindMpirun();
            // --oversubscribe: 2+ ranks on this 2-core machine; --bind-to none: do not pin ranks to cores others use;
            // shared memory (vader) between ranks of one host, loopback only; no ssh needed for a local job.
            foreach (string a in new[] { "--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "--mca", "btl", "self,vader", "-np", ranks.ToString(), "dotnet" })
                psi.ArgumentList.Add(a);
            psi.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
            psi.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
            psi.Environment["OMPI_MCA_plm_rsh_agent"] = "";
            psi.Environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none"; // containers often forbid CMA (ptrace)
        }
        psi.ArgumentList.Add(Cli);
        foreach (string a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{psi.FileName} {string.Join(' ', psi.ArgumentList)} ran over {timeoutSeconds} s:\n{stdout.Result}\n{stderr.Result}");
        }
        p.WaitForExit();
        return new Result(p.ExitCode, stdout.Result + stderr.Result);
    }

    private static string FindMpirun()
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/bin"))
            if (dir.Length > 0 && File.Exists(Path.Combine(dir, "mpirun"))) return Path.Combine(dir, "mpirun");
        throw new InvalidOperationException("mpirun not found: install Open MPI (`sudo apt-get install libopenmpi3 openmpi-bin`; ./test.sh does)");
    }

    private static string NewDirectory()
    {
        string dir = Path.Combine(Path.GetTempPath(), "eslm-mpi-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Train lines of metrics.jsonl (step, loss, kept_fraction).</summary>
    private static List<JsonNode> TrainLines(string run) =>
        File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).Where(n => (string?)n["type"] == "train").ToList();

    /// <summary>
    /// Asserts that two runs logged the same periodic validations: the same sample (val_tokens of val_split_tokens,
    /// each rank evaluating its rows of it) and the same loss within 1e-5 (sums over ranks add in another order).
    /// </summary>
    private static void AssertSameValidation(string expected, string actual)
    {
        static List<JsonNode> Lines(string run) =>
            File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).Where(n => (string?)n["type"] == "val").ToList();
        var a = Lines(expected);
        var b = Lines(actual);
        Assert.NotEmpty(a);
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal((int)a[i]["step"]!, (int)b[i]["step"]!);
            Assert.Equal((long)a[i]["val_tokens"]!, (long)b[i]["val_tokens"]!);
            Assert.Equal((long)a[i]["val_split_tokens"]!, (long)b[i]["val_split_tokens"]!);
            Assert.True(Math.Abs((double)a[i]["val_loss"]! - (double)b[i]["val_loss"]!) <= 1e-5, $"val {i}: loss {a[i]["val_loss"]} vs {b[i]["val_loss"]}");
        }
    }

    private static float[] FinalWeights(string run, int step)
    {
        using var model = Checkpoint.LoadModel(Checkpoint.DirectoryFor(run, step));
        return model.Parameters.All.ToArray();
    }

    private static void AssertSuccess(Result r)
    {
        Assert.True(r.ExitCode == 0, $"exit code {r.ExitCode}:\n{r.Output}");
    }

    /// <summary>Asserts that two runs logged the same losses and kept fractions and ended with the same weights (within 1e-5).</summary>
    private static void AssertSameTraining(string expected, string actual, int steps = 5)
    {
        var a = TrainLines(expected);
        var b = TrainLines(actual);
        Assert.Equal(steps, a.Count);
        Assert.Equal(steps, b.Count); // rank 0 alone writes metrics: one line per step
        for (int s = 0; s < steps; s++)
        {
            Assert.Equal(s, (int)b[s]["step"]!);
            Assert.True(Math.Abs((double)a[s]["loss"]! - (double)b[s]["loss"]!) <= 1e-5, $"step {s}: loss {a[s]["loss"]} vs {b[s]["loss"]}");
            Assert.Equal((double)a[s]["kept_fraction"]!, (double)b[s]["kept_fraction"]!);
        }
        var wa = FinalWeights(expected, steps);
        var wb = FinalWeights(actual, steps);
        Assert.Equal(wa.Length, wb.Length);
        double worst = 0; int at = -1;
        for (int i = 0; i < wa.Length; i++)
        {
            double d = Math.Abs(wa[i] - wb[i]);
            if (d > worst) { worst = d; at = i; }
        }
        Assert.True(worst <= 1e-5, $"weights differ by {worst:E2} at {at}");
    }

    [Fact]
    public void Global_threshold_and_allreduces_under_mpirun_equal_the_single_process_results()
    {
        var r = RunCli(3, ["dev-mpi-selftest"]);
        AssertSuccess(r);
        for (int rank = 0; rank < 3; rank++) Assert.Contains($"rank {rank} of 3: 242 checks passed", r.Output);
    }

    [Theory]
    [InlineData("clm")]
    [InlineData("eslm")]
    [InlineData("rho1")]
    [InlineData("eslm-accumulation")]
    public void Two_ranks_with_batch_B_equal_one_process_with_batch_2B(string strategy)
    {
        string root = NewDirectory();
        try
        {
            string[] selection = strategy switch
            {
                "clm" => ["--strategy", "clm"],
                "eslm" => ["--strategy", "eslm", "--alpha", "0.5", "--selection-scope", "global"],
                // two micro-batches per step: the global threshold over both ranks' whole steps (scoring pass, then backward)
                "eslm-accumulation" => ["--strategy", "eslm", "--alpha", "0.3", "--selection-scope", "global", "--grad-accum", "2", "--normalize", "all"],
                _ => ["--strategy", "rho1", "--keep", "0.6", "--reference", "preset:tiny", "--selection-scope", "global"],
            };
            string one = Path.Combine(root, "one"), two = Path.Combine(root, "two");
            AssertSuccess(RunCli(0, [.. Common, .. selection, "--batch", "4", "--out", one]));
            var r = RunCli(2, [.. Common, .. selection, "--batch", "2", "--out", two]);
            AssertSuccess(r);
            Assert.Contains("distributed: 2 processes", r.Output);
            AssertSameTraining(one, two);
            if (strategy != "clm") Assert.InRange((double)TrainLines(two)[0]["kept_fraction"]!, 0.4, 0.75);
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Fact]
    public void An_experiment_under_mpirun_with_batch_B_per_rank_trains_its_arms_like_one_process_with_2B()
    {
        string root = NewDirectory();
        try
        {
            string data = Path.Combine(root, "data");
            AssertSuccess(RunCli(0, ["prepare", "--recipe", "builtin-clean", "--out", data]));
            string Spec(int batch)
            {
                string path = Path.Combine(root, $"exp{batch}.json");
                File.WriteAllText(path, new JsonObject
                {
                    ["name"] = "mpi", ["model"] = "tiny", ["data"] = data, ["seeds"] = new JsonArray(1),
                    ["train"] = new JsonObject { ["batch"] = batch, ["seq"] = 16, ["steps"] = 3, ["lr"] = 3e-4, ["warmup"] = 1 },
                    ["budget"] = new JsonObject { ["steps"] = 3 }, ["val_every"] = 0, ["val_batches"] = 1, ["eval_max_tokens"] = 512,
                    ["eval"] = new JsonArray(new JsonObject { ["name"] = "clean", ["data"] = data, ["domain"] = "in" }),
                    ["arms"] = new JsonArray(new JsonObject { ["name"] = "clm", ["strategy"] = "clm" },
                        new JsonObject { ["name"] = "eslm", ["strategy"] = "eslm", ["alpha"] = 0.5, ["selection_scope"] = "global" }),
                }.ToJsonString());
                return path;
            }
            string one = Path.Combine(root, "one"), two = Path.Combine(root, "two");
            AssertSuccess(RunCli(0, ["experiment", "run", Spec(4), "--out", one, "--threads", "1"]));
            var r = RunCli(2, ["experiment", "run", Spec(2), "--out", two]);
            AssertSuccess(r);
            Assert.Contains("2 processes, batch 2 per process", r.Output);
            foreach (string arm in new[] { "clm", "eslm" })
            {
                AssertSameTraining(Path.Combine(one, arm, "seed1"), Path.Combine(two, arm, "seed1"), steps: 3);
                AssertSameValidation(Path.Combine(one, arm, "seed1"), Path.Combine(two, arm, "seed1"));
                Assert.True(File.Exists(Path.Combine(two, arm, "seed1", "eval.json")));
            }
            Assert.True(File.Exists(Path.Combine(two, "report.md")));
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Fact]
    public void A_rank_that_dies_takes_the_job_down_and_resume_with_the_same_count_continues_it()
    {
        string root = NewDirectory();
        try
        {
            string one = Path.Combine(root, "one"), two = Path.Combine(root, "two");
            string[] args = [.. Common, "--strategy", "eslm", "--selection-scope", "global", "--checkpoint-every", "2"];
            AssertSuccess(RunCli(0, [.. args, "--batch", "4", "--out", one]));

            // Rank 1 is SIGKILLed after step 3: mpirun must end rank 0 too and fail.
            var died = RunCli(2, [.. args, "--batch", "2", "--out", two], new Dictionary<string, string> { ["ESLM_TEST_KILL"] = "1:3" });
            Assert.NotEqual(0, died.ExitCode);
            Assert.Contains("rank 1 kills itself after step 3", died.Output);
            Assert.Null(Checkpoint.FindLatestComplete(Checkpoint.DirectoryFor(two, 4)));
            Assert.NotNull(Checkpoint.FindLatestComplete(Checkpoint.DirectoryFor(two, 2)));

            // A rank that throws aborts the job with a line naming it.
            var failed = RunCli(2, [.. args, "--batch", "2", "--out", two, "--resume"], new Dictionary<string, string> { ["ESLM_TEST_KILL"] = "0:3:throw" });
            Assert.NotEqual(0, failed.ExitCode);
            Assert.Contains("eslm: rank 0 of 2 failed", failed.Output);

            // Resuming with another process count is refused clearly.
            var wrong = RunCli(0, [.. args, "--batch", "2", "--out", two, "--resume"]);
            Assert.NotEqual(0, wrong.ExitCode);
            Assert.Contains("resume it with the same count (mpirun -np 2", wrong.Output);

            // Resuming with 2 processes continues from step 2 and ends where one process with 2B ends.
            AssertSuccess(RunCli(2, [.. args, "--batch", "2", "--out", two, "--resume"]));
            AssertSameTraining(one, two);
        }
        finally { Directory.Delete(root, recursive: true); }
    }
}
