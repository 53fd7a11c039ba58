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
    /// For a run directory, says on stderr which checkpoint a load will use and which newer ones it skips as damaged
    /// (incomplete or wrong-length files): otherwise eval and sample quietly use an older step than the user expects.
    /// </summary>
    public static void AnnounceRunCheckpoint(string path)
    {
        if (ModelFiles.Detect(path) != ModelFileKind.RunDirectory) return;
        var complete = Checkpoint.ListComplete(path);
        var (step, dir) = complete[^1];
        var good = complete.Select(c => Path.GetFullPath(c.Path)).ToHashSet();
        foreach (string candidate in Directory.EnumerateDirectories(path, "step-*").Order(StringComparer.Ordinal))
            if (!good.Contains(Path.GetFullPath(candidate)) && string.CompareOrdinal(Path.GetFileName(candidate), Path.GetFileName(dir)) > 0)
                Console.Error.WriteLine($"eslm: warning: {candidate}: damaged checkpoint (a file is missing or has the wrong length), skipped");
        Console.Error.WriteLine($"eslm: {path}: using checkpoint {Path.GetFileName(dir)} (step {step})");
    }

    public static Gpt Load(string path)
    {
        if (!path.StartsWith("preset:", StringComparison.Ordinal)) return ModelFiles.Load(path);
        var model = new Gpt(GptConfig.FromPreset(path["preset:".Length..]));
        WeightInit.Initialize(model, 7);
        return model;
    }
}
