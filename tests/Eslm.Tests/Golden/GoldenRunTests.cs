using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Eslm.Native;
using Eslm.Tests.Checkpoints;
using Eslm.Tests.Reference;
using Xunit;

namespace Eslm.Tests.Golden;

/// <summary>
/// Golden runs: short `eslm train` runs of the tiny model, one per strategy and code path, whose metrics (timing fields
/// removed), run.json, checkpoint state and final weights must stay bit for bit what they were when the goldens were
/// recorded (before the architecture redesign of issue 12). Goldens are per OpenBLAS kernel family, because Haswell and
/// SkylakeX kernels round differently; a kernel family without goldens reports a skip.
/// To record: <c>ESLM_WRITE_GOLDEN=1 ./test.sh --filter GoldenRunTests</c>, once with the environment's kernels and once
/// with <c>env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE</c> (dev/record-golden-runs.sh does both); each arm then skips,
/// naming the file it wrote.
/// </summary>
public sealed class GoldenRunTests : IClassFixture<GoldenRunTests.Workspace>
{
    /// <summary>Arm name → `eslm train` arguments after the common ones (tiny, B4 T32, 6 steps).</summary>
    public static readonly Dictionary<string, string[]> Arms = new()
    {
        ["clm"] = ["--strategy", "clm"],
        ["eslm-loss"] = ["--strategy", "eslm", "--alpha", "0.5"],
        ["eslm-loss-exact"] = ["--strategy", "eslm", "--alpha", "0.5", "--backward", "exact"],
        ["eslm-entropy"] = ["--strategy", "eslm", "--score", "entropy", "--alpha", "0.3"],
        ["eslm-entropy-exact"] = ["--strategy", "eslm", "--score", "entropy", "--alpha", "0.3", "--backward", "exact"],
        ["eslm-alpha0"] = ["--strategy", "eslm", "--alpha", "0"],
        ["eslm-step-scope"] = ["--strategy", "eslm", "--alpha", "0.4", "--grad-accum", "2", "--selection-scope", "step"],
        ["eslm-sequence-scope-normalize-all"] = ["--strategy", "eslm", "--alpha", "0.6", "--selection-scope", "sequence", "--normalize", "all"],
        ["ada-eslm-schedule"] = ["--strategy", "ada-eslm", "--alpha-start", "0.1", "--alpha-end", "0.7", "--ada-schedule", "cosine"],
        ["ada-eslm-ratio"] = ["--strategy", "ada-eslm", "--ada-rule", "ratio", "--alpha", "0.5", "--ada-rate", "0.2"],
        ["rho1-online"] = ["--strategy", "rho1", "--keep", "0.6", "--reference", "$REF"],
        // on a small dataset: `eslm score` of the whole builtin corpus takes minutes on a busy 2-core machine
        ["rho1-sidecar"] = ["--strategy", "rho1", "--keep", "0.6", "--reference-losses", "$SIDECAR", "--sampling", "sequential", "--data", "$SMALL"],
        ["eslm-kd"] = ["--strategy", "eslm-kd", "--teacher", "$REF", "--kd-score", "kl", "--kd-lambda", "0.5", "--kd-temperature", "2", "--alpha", "0.5"],
        ["eslm-kd-teacher-entropy"] = ["--strategy", "eslm-kd", "--teacher", "$REF", "--alpha", "0.4"],
        ["hierarchical"] = ["--strategy", "hierarchical", "--proxy-layers", "1", "--sequence-alpha", "0.25", "--alpha", "0.5"],
        ["random"] = ["--strategy", "random", "--keep", "0.5", "--selection-seed", "7"],
        ["bottomk"] = ["--strategy", "bottomk", "--alpha", "0.5"],
    };

    private static readonly string[] Common =
        ["train", "--model", "tiny", "--batch", "4", "--seq", "32", "--steps", "6", "--warmup", "2", "--lr", "0.003",
         "--val-every", "3", "--val-batches", "2", "--threads", "2"];

    /// <summary>Timing and provenance fields: everything else in the files must match.</summary>
    private static readonly HashSet<string> Volatile =
        ["tokens_per_s", "ms_per_step", "step_ms", "total_seconds", "total_milliseconds", "saved_utc", "code_version"];

    private readonly Workspace _w;

    public GoldenRunTests(Workspace workspace) => _w = workspace;

    public static TheoryData<string> ArmNames => new(Arms.Keys);

    [SkippableTheory]
    [MemberData(nameof(ArmNames))]
    public void Train_reproduces_the_recorded_golden_run_bit_for_bit(string arm)
    {
        string core = _w.Core;
        string goldenFile = Path.Combine(GoldenDirectory(core), arm + ".json");
        bool write = Environment.GetEnvironmentVariable("ESLM_WRITE_GOLDEN") == "1";
        Skip.If(!write && !File.Exists(goldenFile), $"no golden runs recorded for OpenBLAS kernels '{core}' (dev/record-golden-runs.sh)");

        var actual = _w.Train(arm, Arms[arm]);
        if (write)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(goldenFile)!);
            File.WriteAllText(goldenFile, actual.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            // A recording run checks nothing, so it reports a skip naming what it wrote, never a pass.
            throw new SkipException($"ESLM_WRITE_GOLDEN=1: recorded {goldenFile}");
        }
        var expected = JsonNode.Parse(File.ReadAllText(goldenFile))!.AsObject();
        foreach (var (key, value) in expected)
            Assert.True(JsonNode.DeepEquals(value, actual[key]),
                $"{arm}: '{key}' differs from the golden run\nexpected: {value?.ToJsonString()}\nactual:   {actual[key]?.ToJsonString()}");
        Assert.Equal(expected.Count, actual.Count);
    }

    /// <summary>Committed goldens in the source tree when recording, the copied fixtures otherwise.</summary>
    private static string GoldenDirectory(string core)
    {
        if (Environment.GetEnvironmentVariable("ESLM_WRITE_GOLDEN") == "1")
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Eslm.slnx"))) dir = dir.Parent;
            return Path.Combine(dir!.FullName, "tests", "Eslm.Tests", "Fixtures", "golden", core);
        }
        return Path.Combine(AppContext.BaseDirectory, "Fixtures", "golden", core);
    }

    /// <summary>Data sets, the reference model and its loss sidecar, made once for all arms.</summary>
    public sealed class Workspace : IDisposable
    {
        private readonly TempDir _dir = new();
        private string? _reference, _sidecar, _small;

        public Workspace()
        {
            Blas.Ensure();
            Core = OpenBlas.CoreName;
            Run("prepare", "--recipe", "builtin-noisy", "--out", Noisy);
            Run("prepare", "--recipe", "builtin-clean", "--out", Clean);
        }

        public string Core { get; }
        private string Noisy => _dir["noisy"];
        private string Clean => _dir["clean"];

        /// <summary>The reference (and teacher): clm on the clean corpus, trained on first use.</summary>
        private string Reference => _reference ??= TrainReference();

        private string Sidecar => _sidecar ??= ScoreSidecar();

        /// <summary>About 20k tokens of the noisy corpus (95% held out as validation).</summary>
        private string Small => _small ??= PrepareSmall();

        private string PrepareSmall()
        {
            Run("prepare", "--recipe", "builtin-noisy", "--val-fraction", "0.95", "--out", _dir["small"]);
            return _dir["small"];
        }

        private string TrainReference()
        {
            string output = _dir["reference"];
            Run([.. Substitute(Common), "--strategy", "clm", "--data", Clean, "--out", output]);
            return output;
        }

        private string ScoreSidecar()
        {
            string output = _dir["small.reference-losses.bin"];
            Run("score", "--reference", Reference, "--data", Small, "--seq", "32", "--batch", "4", "--out", output, "--threads", "2");
            return output;
        }

        /// <summary>Trains one arm; returns what must stay bit-identical.</summary>
        public JsonObject Train(string arm, string[] armArguments)
        {
            string output = _dir["runs-" + arm];
            if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
            string[] data = armArguments.Contains("--data") ? [] : ["--data", Noisy];
            Run([.. Substitute(Common), .. data, .. Substitute(armArguments), "--out", output]);
            string checkpoint = Directory.GetDirectories(output, "step-*").Order().Last();
            var metrics = new JsonArray();
            foreach (var line in File.ReadLines(Path.Combine(output, "metrics.jsonl")))
                metrics.Add(Normalise(JsonNode.Parse(line)));
            return new JsonObject
            {
                ["arguments"] = new JsonArray([.. armArguments.Select(a => (JsonNode)a)]),
                ["metrics"] = metrics,
                ["run_json"] = Normalise(JsonNode.Parse(File.ReadAllText(Path.Combine(output, "run.json")))),
                ["state_json"] = Normalise(JsonNode.Parse(File.ReadAllText(Path.Combine(checkpoint, "state.json")))),
                ["checkpoint"] = Path.GetFileName(checkpoint),
                ["model_sha256"] = Sha256(Path.Combine(checkpoint, "model.safetensors")),
                ["optimizer_sha256"] = Sha256(Path.Combine(checkpoint, "optimizer.safetensors")),
                ["config_json"] = JsonNode.Parse(File.ReadAllText(Path.Combine(checkpoint, "config.json"))),
            };
        }

        private string[] Substitute(string[] arguments) => arguments.Select(a => a switch
        {
            "$REF" => Reference,
            "$SIDECAR" => Sidecar,
            "$SMALL" => Small,
            _ => a,
        }).ToArray();

        /// <summary>Drops timing fields and replaces this workspace's temporary path by "$DIR".</summary>
        private JsonNode? Normalise(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject o:
                    var copy = new JsonObject();
                    foreach (var (key, value) in o)
                        if (!Volatile.Contains(key)) copy[key] = Normalise(value);
                    return copy;
                case JsonArray a:
                    return new JsonArray([.. a.Select(Normalise)]);
                case JsonValue v when v.TryGetValue<string>(out var s):
                    return s.Replace(_dir.Path, "$DIR");
                default:
                    return node?.DeepClone();
            }
        }

        private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

        private static void Run(params string[] arguments)
        {
            var (exit, stdout, stderr) = TestFiles.RunCli(arguments);
            if (exit != 0) throw new InvalidOperationException($"eslm {string.Join(' ', arguments)} failed ({exit}): {stderr}{stdout}");
        }

        public void Dispose() => _dir.Dispose();
    }
}
