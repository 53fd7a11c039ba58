using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Eslm.Model;
using Eslm.Tensors;
using Eslm.IO;

namespace Eslm.Checkpoints;

/// <summary>What <see cref="Checkpoint.Load"/> found besides the tensors it filled.</summary>
/// <param name="State">The caller's state object as saved (step, RNG states, data position, selector state, options…).</param>
/// <param name="OptimizerStep">AdamW's step count saved with the moments (0 when there are none).</param>
public sealed record LoadedCheckpoint(string Directory, GptConfig Config, JsonObject State, long OptimizerStep, bool HasOptimizer, string? CodeVersion);

/// <summary>
/// A checkpoint is a directory:
/// <list type="bullet">
/// <item><c>model.safetensors</c> — weights under Hugging Face GPT-2 names (see <see cref="HfGpt2"/>), so it loads in HF tools;</item>
/// <item><c>config.json</c> — HF's GPT-2 config for those weights (the directory is a valid <c>from_pretrained</c> folder);</item>
/// <item><c>optimizer.safetensors</c> — AdamW moments as <c>m.&lt;name&gt;</c> and <c>v.&lt;name&gt;</c>, metadata <c>step</c> (optional);</item>
/// <item><c>state.json</c> — the caller's state object plus an <c>eslm_checkpoint</c> entry (format version, code version,
/// model shape, optimizer step, and each file's byte length).</item>
/// </list>
/// Saves are crash-safe: everything is written into a hidden temporary sibling directory, each file is fsynced, then the
/// directory is renamed to its final name in one step (and the parent fsynced). A directory with a final name is therefore
/// always complete; <see cref="FindLatestComplete"/> ignores temporaries and double-checks file lengths.
/// Run directories hold checkpoints named <c>step-00001234</c> (<see cref="DirectoryFor"/>), pruned by <see cref="Rotate"/>.
/// </summary>
public static partial class Checkpoint
{
    public const string WeightsFile = "model.safetensors", OptimizerFile = "optimizer.safetensors", StateFile = "state.json",
        HfConfigFile = "config.json";
    public const string MetaKey = "eslm_checkpoint";
    public const int FormatVersion = 1;
    private const string MomentPrefix1 = "m.", MomentPrefix2 = "v.";

    /// <summary>Test hook: wraps every file stream a save writes (used to simulate a full disk).</summary>
    [ThreadStatic] internal static Func<Stream, Stream>? StreamWrapperForTests;

    public static string CodeVersion =>
        typeof(Checkpoint).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(Checkpoint).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>
    /// Saves a checkpoint to <paramref name="directory"/> (replacing one that exists there). <paramref name="adamM"/> and
    /// <paramref name="adamV"/> are AdamW's moments in the parameter layout (both or neither); <paramref name="state"/> is
    /// copied into state.json. On failure (e.g. disk full) the temporary directory is removed, an existing checkpoint at
    /// <paramref name="directory"/> is left as it was, and an <see cref="IOException"/> names the directory and the problem.
    /// </summary>
    public static void Save(string directory, Gpt model, TensorBlock? adamM, TensorBlock? adamV, JsonObject state, long optimizerStep = 0)
    {
        if ((adamM is null) != (adamV is null)) throw new ArgumentException("AdamW moments m and v must be saved together");
        var layoutCount = model.Parameters.Count;
        if (adamM is not null && (adamM.Count != layoutCount || adamV!.Count != layoutCount))
            throw new ArgumentException("AdamW moment blocks do not have the model's parameter layout");
        if (state.ContainsKey(MetaKey)) throw new ArgumentException($"state must not contain the reserved key '{MetaKey}'");

        string final = Path.GetFullPath(directory.TrimEnd(Path.DirectorySeparatorChar));
        Directory.CreateDirectory(Path.GetDirectoryName(final)!);
        try
        {
            // The temporary is .step-N.tmp-PID-GUID and an old checkpoint moves aside to .step-N.old-GUID (TempName below).
            AtomicFile.ReplaceDirectory(final, temp => WriteFiles(temp, model, adamM, adamV, state, optimizerStep));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{final}: saving the checkpoint failed ({e.Message}); existing checkpoints are untouched", e);
        }
    }

    /// <summary>The checkpoint's files, each flushed to disk, into the (temporary) directory <paramref name="temp"/>.</summary>
    private static void WriteFiles(string temp, Gpt model, TensorBlock? adamM, TensorBlock? adamV, JsonObject state, long optimizerStep)
    {
        var config = model.Config;
        var files = new JsonObject();
        files[WeightsFile] = WriteFile(Path.Combine(temp, WeightsFile), stream =>
        {
            var metadata = HfGpt2.Metadata(config);
            var writer = new SafetensorsWriter(stream, HfGpt2.Declarations(config, model.Parameters, ""), metadata);
            HfGpt2.WriteBlock(writer, config, model.Parameters, "");
            writer.Finish();
        });
        files[HfConfigFile] = WriteFile(Path.Combine(temp, HfConfigFile), stream =>
            stream.Write(JsonSerializer.SerializeToUtf8Bytes(HfGpt2.HfConfigJson(config), Indented)));
        if (adamM is not null)
        {
            files[OptimizerFile] = WriteFile(Path.Combine(temp, OptimizerFile), stream =>
            {
                var decl = HfGpt2.Declarations(config, adamM, MomentPrefix1).Concat(HfGpt2.Declarations(config, adamV!, MomentPrefix2)).ToList();
                var metadata = new Dictionary<string, string>
                {
                    ["producer"] = "eslm", ["content"] = "adamw-moments", ["step"] = optimizerStep.ToString(CultureInfo.InvariantCulture),
                };
                var writer = new SafetensorsWriter(stream, decl, metadata);
                HfGpt2.WriteBlock(writer, config, adamM, MomentPrefix1);
                HfGpt2.WriteBlock(writer, config, adamV!, MomentPrefix2);
                writer.Finish();
            });
        }
        var root = new JsonObject
        {
            [MetaKey] = new JsonObject
            {
                ["format_version"] = FormatVersion,
                ["code_version"] = CodeVersion,
                ["saved_utc"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
                ["model"] = ConfigToJson(config),
                ["optimizer_step"] = adamM is null ? null : optimizerStep,
                ["files"] = files,
            },
        };
        foreach (var (k, v) in state) root[k] = v?.DeepClone();
        WriteFile(Path.Combine(temp, StateFile), stream => stream.Write(JsonSerializer.SerializeToUtf8Bytes(root, Indented)));
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static long WriteFile(string path, Action<Stream> write)
    {
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        using (var wrapped = StreamWrapperForTests?.Invoke(file))
        {
            write(wrapped ?? file);
            (wrapped ?? file).Flush();
        }
        file.Flush(flushToDisk: true);
        return file.Length;
    }

    public static JsonObject ConfigToJson(GptConfig c) => new()
    {
        ["layers"] = c.L, ["heads"] = c.NH, ["channels"] = c.C, ["max_sequence_length"] = c.MaxSequenceLength,
        ["vocab_size"] = c.VocabSize, ["padded_vocab_size"] = c.Vp,
    };

    private static GptConfig ConfigFromJson(string path, JsonNode? node)
    {
        if (node is not JsonObject o) throw new InvalidDataException($"{path}: {MetaKey}.model is missing");
        int Get(string key) => o[key] is JsonValue v && v.TryGetValue(out int x) ? x
            : throw new InvalidDataException($"{path}: {MetaKey}.model.{key} is missing or not an integer");
        try
        {
            return new GptConfig
            {
                Layers = Get("layers"), Heads = Get("heads"), Channels = Get("channels"), MaxSequenceLength = Get("max_sequence_length"),
                VocabSize = Get("vocab_size"), PaddedVocabSize = Get("padded_vocab_size"),
            }.Validated();
        }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: invalid model shape: {e.Message}"); }
    }

    /// <summary>Reads and checks state.json of a checkpoint directory (no tensors).</summary>
    public static (GptConfig Config, JsonObject Root) ReadState(string directory)
    {
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException(File.Exists(directory) ? $"{directory}: is a file, not a checkpoint directory" : $"{directory}: checkpoint not found");
        string path = Path.Combine(directory, StateFile);
        if (!File.Exists(path)) throw new InvalidDataException($"{directory}: not an Eslm checkpoint ({StateFile} is missing)");
        JsonObject root;
        try { root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: invalid JSON ({e.Message.Split('.')[0]})"); }
        if (root[MetaKey] is not JsonObject meta) throw new InvalidDataException($"{path}: '{MetaKey}' entry is missing");
        int version = meta["format_version"] is JsonValue fv && fv.TryGetValue(out int f) ? f : -1;
        if (version != FormatVersion) throw new InvalidDataException($"{path}: unsupported checkpoint format version {version} (this build reads {FormatVersion})");
        return (ConfigFromJson(path, meta["model"]), root);
    }

    /// <summary>The model shape stored in a checkpoint (to build the <see cref="Gpt"/> before <see cref="Load"/>).</summary>
    public static GptConfig ReadConfig(string directory) => ReadState(directory).Config;

    /// <summary>
    /// Loads a checkpoint into an existing model (and AdamW moments when given), bit-exactly. The model must have the
    /// checkpoint's shape: a checkpoint of another model size is an <see cref="InvalidDataException"/> naming both shapes.
    /// Values are checked to be finite. Returns the caller's state object and the optimizer step.
    /// </summary>
    public static LoadedCheckpoint Load(string directory, Gpt model, TensorBlock? adamM = null, TensorBlock? adamV = null)
    {
        if ((adamM is null) != (adamV is null)) throw new ArgumentException("AdamW moments m and v must be loaded together");
        var (config, root) = ReadState(directory);
        var meta = (JsonObject)root[MetaKey]!;
        var mine = model.Config;
        if (config.L != mine.L || config.NH != mine.NH || config.C != mine.C || config.MaxSequenceLength != mine.MaxSequenceLength ||
            config.VocabSize != mine.VocabSize || config.Vp != mine.Vp)
            throw new InvalidDataException($"{directory}: checkpoint is for a different model size ({config}) than the current model ({mine})");
        CheckFileLengths(directory, meta);

        using (var weights = SafetensorsFile.Open(Path.Combine(directory, WeightsFile)))
            HfGpt2.ReadBlock(weights, config, model.Parameters, "");
        long optimizerStep = 0;
        bool hasOptimizer = File.Exists(Path.Combine(directory, OptimizerFile));
        if (adamM is not null)
        {
            if (!hasOptimizer) throw new InvalidDataException($"{directory}: {OptimizerFile} is missing (the checkpoint has no optimizer state to resume from)");
            using var opt = SafetensorsFile.Open(Path.Combine(directory, OptimizerFile));
            HfGpt2.ReadBlock(opt, config, adamM, MomentPrefix1);
            HfGpt2.ReadBlock(opt, config, adamV!, MomentPrefix2);
            if (!opt.Metadata.TryGetValue("step", out var s) || !long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out optimizerStep) || optimizerStep < 0)
                throw new InvalidDataException($"{opt.Path}: metadata 'step' is missing or not a non-negative integer");
        }
        var state = new JsonObject();
        foreach (var (k, v) in root) if (k != MetaKey) state[k] = v?.DeepClone();
        return new LoadedCheckpoint(Path.GetFullPath(directory), config, state, optimizerStep, hasOptimizer, meta["code_version"]?.GetValue<string>());
    }

    /// <summary>Builds a model of the checkpoint's shape and loads its weights (for sampling and evaluation).</summary>
    public static Gpt LoadModel(string directory)
    {
        var model = new Gpt(ReadConfig(directory));
        try { Load(directory, model); return model; }
        catch { model.Dispose(); throw; }
    }

    /// <summary>
    /// Loads the newest complete checkpoint of a run directory (for sampling and evaluation). A run still training with
    /// --keep-last may rotate the chosen checkpoint away while it loads (issue 21): the load then starts again from the
    /// newest complete checkpoint, a few times at most. A checkpoint that is still complete but fails to load is an error
    /// at once. <paramref name="loading"/> hears of each attempt's step and directory.
    /// </summary>
    public static (Gpt Model, string Directory) LoadNewestModel(string runDirectory, Action<long, string>? loading = null)
    {
        const int attempts = 5;
        for (int attempt = 1; ; attempt++)
        {
            var complete = ListComplete(runDirectory);
            if (complete.Count == 0) throw new InvalidDataException($"{runDirectory}: holds no complete checkpoint (step-N)");
            var (step, dir) = complete[^1];
            loading?.Invoke(step, dir);
            try { return (LoadModel(dir), dir); }
            catch (Exception e) when ((e is IOException or InvalidDataException or UnauthorizedAccessException) && attempt < attempts && !IsComplete(dir)) { }
        }
    }

    /// <summary>
    /// Throws, naming the file, unless every file the checkpoint lists is there with its recorded length and readable:
    /// safetensors headers parse, JSON files parse (`eslm inspect` describes first, then reports this as its error).
    /// </summary>
    public static void Verify(string directory)
    {
        var (_, root) = ReadState(directory);
        var meta = (JsonObject)root[MetaKey]!;
        CheckFileLengths(directory, meta);
        foreach (var (name, _) in (JsonObject)meta["files"]!)
        {
            string path = Path.Combine(directory, name);
            if (name.EndsWith(".safetensors", StringComparison.Ordinal)) using (SafetensorsFile.Open(path)) { }
            else if (name.EndsWith(".json", StringComparison.Ordinal))
                try { JsonNode.Parse(File.ReadAllText(path)); }
                catch (JsonException) { throw new InvalidDataException($"{path}: not valid JSON"); }
        }
    }

    private static void CheckFileLengths(string directory, JsonObject meta)
    {
        if (meta["files"] is not JsonObject files) throw new InvalidDataException($"{Path.Combine(directory, StateFile)}: file list is missing");
        foreach (var (name, node) in files)
        {
            string path = Path.Combine(directory, name);
            if (!File.Exists(path)) throw new InvalidDataException($"{path}: missing from the checkpoint");
            long expected = node is JsonValue v && v.TryGetValue(out long x) ? x : -1;
            long actual = new FileInfo(path).Length;
            if (actual != expected) throw new InvalidDataException($"{path}: {actual} bytes, the checkpoint recorded {expected} (truncated or modified)");
        }
    }

    // ---- run directories: step-NNNNNNNN checkpoints, latest, rotation ----

    [GeneratedRegex(@"^step-(\d+)$")]
    private static partial Regex StepName();

    public static string DirectoryFor(string runDirectory, long step)
    {
        if (step < 0) throw new ArgumentException($"step must be >= 0 (got {step})");
        return Path.Combine(runDirectory, "step-" + step.ToString("D8", CultureInfo.InvariantCulture));
    }

    /// <summary>Saves <c>step-N</c> under a run directory, then keeps only the newest <paramref name="keepLast"/> (0 = keep all).</summary>
    public static string SaveStep(string runDirectory, long step, Gpt model, TensorBlock? adamM, TensorBlock? adamV, JsonObject state,
        long optimizerStep = 0, int keepLast = 0)
    {
        string dir = DirectoryFor(runDirectory, step);
        Save(dir, model, adamM, adamV, state, optimizerStep);
        if (keepLast > 0) Rotate(runDirectory, keepLast);
        return dir;
    }

    /// <summary>Complete checkpoints of a run directory, oldest first (temporaries and damaged ones are skipped).</summary>
    public static IReadOnlyList<(long Step, string Path)> ListComplete(string runDirectory)
    {
        var list = new List<(long, string)>();
        if (!Directory.Exists(runDirectory)) return list;
        foreach (string dir in Directory.EnumerateDirectories(runDirectory))
        {
            var m = StepName().Match(Path.GetFileName(dir));
            if (!m.Success || !long.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out long step)) continue;
            if (IsComplete(dir)) list.Add((step, dir));
        }
        list.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return list;
    }

    /// <summary>True when state.json parses and every file it lists has its recorded length.</summary>
    public static bool IsComplete(string directory)
    {
        try
        {
            var (_, root) = ReadState(directory);
            CheckFileLengths(directory, (JsonObject)root[MetaKey]!);
            return true;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>
    /// The newest complete checkpoint for <c>--resume</c>: <paramref name="path"/> itself when it is a checkpoint
    /// directory, else its newest complete <c>step-N</c> child; null when there is none.
    /// </summary>
    public static string? FindLatestComplete(string path)
    {
        if (File.Exists(Path.Combine(path, StateFile))) return IsComplete(path) ? Path.GetFullPath(path) : null;
        var all = ListComplete(path);
        return all.Count == 0 ? null : all[^1].Path;
    }

    /// <summary>
    /// Keeps the newest <paramref name="keepLast"/> complete checkpoints and deletes the older ones (each is first renamed
    /// to a hidden name, so a crash mid-delete never leaves a damaged directory under a checkpoint name). Also removes
    /// temporaries left by processes that no longer run.
    /// </summary>
    public static void Rotate(string runDirectory, int keepLast)
    {
        if (keepLast < 1) throw new ArgumentException($"keep-last must be >= 1 (got {keepLast})");
        var all = ListComplete(runDirectory);
        for (int i = 0; i < all.Count - keepLast; i++)
        {
            string doomed = Path.Combine(runDirectory, $".{Path.GetFileName(all[i].Path)}.old-{Guid.NewGuid():N}");
            try { Directory.Move(all[i].Path, doomed); } catch (IOException) { continue; }
            TryDeleteDirectory(doomed);
        }
        CleanStaleTemporaries(runDirectory);
    }

    [GeneratedRegex(@"^\.step-\d+\.(tmp-(\d+)-[0-9a-f]+|old-[0-9a-f]+)$")]
    private static partial Regex TempName();

    /// <summary>Removes hidden temporaries (<c>.step-N.tmp-PID-…</c>, <c>.step-N.old-…</c>) whose writer process is gone.</summary>
    public static void CleanStaleTemporaries(string runDirectory)
    {
        if (!Directory.Exists(runDirectory)) return;
        foreach (string dir in Directory.EnumerateDirectories(runDirectory))
        {
            var m = TempName().Match(Path.GetFileName(dir));
            if (!m.Success) continue;
            if (m.Groups[2].Success && int.TryParse(m.Groups[2].Value, out int pid) && (pid == Environment.ProcessId || ProcessAlive(pid))) continue;
            TryDeleteDirectory(dir);
        }
    }

    private static bool ProcessAlive(int pid)
    {
        if (OperatingSystem.IsLinux()) return Directory.Exists($"/proc/{pid}");
        try { using var p = System.Diagnostics.Process.GetProcessById(pid); return !p.HasExited; }
        catch (ArgumentException) { return false; }
    }

    private static void TryDeleteDirectory(string path)
    {
        try { if (Directory.Exists(path)) Directory.Delete(path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
