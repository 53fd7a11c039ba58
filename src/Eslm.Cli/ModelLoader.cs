using Eslm.Checkpoints;
using Eslm.Model;

namespace Eslm.Cli;

/// <summary>
/// Loads a model for use beside training (Rho-1 reference, ESLM-KD teacher, --init-from): anything
/// <see cref="ModelFiles.Load"/> reads (checkpoint or run directory, HF .safetensors, llm.c .bin), or `preset:NAME` for a
/// randomly initialised model of that preset (for benchmarks: speed does not depend on the weights).
/// </summary>
public static class ModelLoader
{
    /// <summary>Fails early, with the path, when a model argument names nothing (before any work starts).</summary>
    public static void CheckExists(string? path, string flag)
    {
        if (path is null || path.StartsWith("preset:", StringComparison.Ordinal)) return;
        if (!File.Exists(path) && !Directory.Exists(path)) throw new FileNotFoundException($"{path}: {flag} model not found");
    }

    /// <summary>
    /// --heads completes the shape of an HF safetensors file; a checkpoint or an llm.c model file records its head count,
    /// so --heads would be ignored there: refused (exit 2), naming the model (<paramref name="role"/>: "--checkpoint", "input").
    /// </summary>
    public static void RefuseHeads(string path, int? heads, string role)
    {
        if (heads is null) return;
        string? records = ModelFiles.Detect(path) switch
        {
            ModelFileKind.CheckpointDirectory or ModelFileKind.RunDirectory => "an Eslm checkpoint",
            ModelFileKind.LlmcModel => "an llm.c model file",
            _ => null,
        };
        if (records is not null)
            throw new ArgumentException($"--heads has no effect with {role} {path}: {records} records its head count (leave --heads out)");
    }

    /// <summary>
    /// The window a scoring command (eval, score, show-selection) reads with: --seq; for 0 the window the model trained
    /// with when <paramref name="trained"/> says (see <see cref="TrainedWindow"/>), else the model's context. Outside
    /// [1, context] is an error, as train's: a window beyond the context used to be clamped silently.
    /// </summary>
    public static int Window(int seq, GptConfig config, int? trained = null)
    {
        int T = seq != 0 ? seq : trained is { } t && t <= config.MaxSequenceLength ? t : config.MaxSequenceLength;
        if (T < 1 || T > config.MaxSequenceLength) throw new ArgumentException($"--seq must be in [1, {config.MaxSequenceLength}] (got {T})");
        if (seq == 0 && T < config.MaxSequenceLength)
            Console.Error.WriteLine($"eslm: windows of {T} tokens, as the model was trained (its context is {config.MaxSequenceLength}; --seq sets another)");
        return T;
    }

    /// <summary>
    /// The window length an Eslm checkpoint (or a run's newest one) was trained with: its recorded "seq"; null for other
    /// model files. Positions past the training windows were never trained, so scoring with the whole context would
    /// measure them too (a d-tiny trained at seq 32, context 64: 6.79 against 6.73 nats).
    /// </summary>
    public static int? TrainedWindow(string path)
    {
        string? checkpoint = ModelFiles.Detect(path) switch
        {
            ModelFileKind.CheckpointDirectory => path,
            ModelFileKind.RunDirectory => Checkpoint.FindLatestComplete(path),
            _ => null,
        };
        if (checkpoint is null) return null;
        return Checkpoint.ReadState(checkpoint).Root["options"]?["seq"] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue(out int seq) && seq > 0 ? seq : null;
    }

    /// <summary>The files a load of <paramref name="path"/> reads (none for a preset), for the output checks of <see cref="OutputFiles"/>.</summary>
    public static IReadOnlyList<string> FilesRead(string? path) =>
        path is null || path.StartsWith("preset:", StringComparison.Ordinal) ? [] : ModelFiles.FilesRead(path);

    /// <summary>
    /// For a run directory, says on stderr which checkpoint a load will use and which newer ones it skips as damaged
    /// (incomplete or wrong-length files): otherwise eval and sample quietly use an older step than the user expects.
    /// </summary>
    public static void AnnounceRunCheckpoint(string path)
    {
        if (WarnDamaged(path) is var (step, dir)) Announce(path, step, dir);
    }

    /// <summary>
    /// Loads a model to sample from or evaluate (anything <see cref="Load"/> takes), saying for a run directory which
    /// checkpoint it uses: the newest complete one when the load starts, or a newer one when a run still training rotated
    /// it away meanwhile (<see cref="Checkpoint.LoadNewestModel"/> then retries and this says so again).
    /// </summary>
    public static Gpt LoadAnnounced(string path, int? heads = null)
    {
        if (path.StartsWith("preset:", StringComparison.Ordinal)) return Load(path);
        if (WarnDamaged(path) is null) return ModelFiles.Load(path, heads);
        return Checkpoint.LoadNewestModel(path, (step, dir) => Announce(path, step, dir)).Model;
    }

    /// <summary>For a run directory: warns of damaged checkpoints newer than the newest complete one, and returns that one.</summary>
    private static (long Step, string Dir)? WarnDamaged(string path)
    {
        if (ModelFiles.Detect(path) != ModelFileKind.RunDirectory) return null;
        var complete = Checkpoint.ListComplete(path);
        if (complete.Count == 0) return null; // rotated meanwhile: the load says what is wrong
        var (step, dir) = complete[^1];
        var good = complete.Select(c => Path.GetFullPath(c.Path)).ToHashSet();
        foreach (string candidate in Directory.EnumerateDirectories(path, "step-*").Order(StringComparer.Ordinal))
            if (!good.Contains(Path.GetFullPath(candidate)) && string.CompareOrdinal(Path.GetFileName(candidate), Path.GetFileName(dir)) > 0)
                Console.Error.WriteLine($"eslm: warning: {candidate}: damaged checkpoint (a file is missing or has the wrong length), skipped");
        return (step, dir);
    }

    private static void Announce(string path, long step, string dir) =>
        Console.Error.WriteLine($"eslm: {path}: using checkpoint {Path.GetFileName(dir)} (step {step})");

    public static Gpt Load(string path)
    {
        if (!path.StartsWith("preset:", StringComparison.Ordinal)) return ModelFiles.Load(path);
        var model = new Gpt(GptConfig.FromPreset(path["preset:".Length..]));
        WeightInit.Initialize(model, 7);
        return model;
    }
}
