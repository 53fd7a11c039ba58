using Eslm.Model;

namespace Eslm.Checkpoints;

/// <summary>Kinds of files and directories Eslm can read models or data from.</summary>
public enum ModelFileKind { Missing, Safetensors, LlmcModel, LlmcTokenShard, CheckpointDirectory, RunDirectory, Unknown }

/// <summary>Detects what a path holds (by content, not by extension) and loads a model from any supported source.</summary>
public static class ModelFiles
{
    public const int TokenShardMagic = 20240520;

    public static ModelFileKind Detect(string path)
    {
        if (Directory.Exists(path))
        {
            if (File.Exists(Path.Combine(path, Checkpoint.StateFile))) return ModelFileKind.CheckpointDirectory;
            return Checkpoint.ListComplete(path).Count > 0 ? ModelFileKind.RunDirectory : ModelFileKind.Unknown;
        }
        if (!File.Exists(path)) return ModelFileKind.Missing;
        Span<byte> prefix = stackalloc byte[16];
        int n;
        using (var f = File.OpenHandle(path)) n = RandomAccess.Read(f, prefix, 0);
        prefix = prefix[..n];
        if (LlmcModelFile.LooksLikeModelFile(prefix)) return ModelFileKind.LlmcModel;
        if (n >= 4 && BitConverter.ToInt32(prefix) == TokenShardMagic) return ModelFileKind.LlmcTokenShard;
        if (SafetensorsFile.LooksLikeSafetensors(prefix)) return ModelFileKind.Safetensors;
        return ModelFileKind.Unknown;
    }

    /// <summary>
    /// The files and folders <see cref="Load"/> reads for <paramref name="path"/>: a checkpoint folder, a run's newest
    /// complete checkpoint (not the rest of the run), a weights file with the config.json beside it, or the file itself.
    /// Commands refuse an output among them (an output that replaced them would destroy the input).
    /// </summary>
    public static IReadOnlyList<string> FilesRead(string path) => Detect(path) switch
    {
        ModelFileKind.RunDirectory => Checkpoint.ListComplete(path) is { Count: > 0 } complete ? [complete[^1].Path] : [path],
        ModelFileKind.Safetensors when File.Exists(HfGpt2.SiblingConfigPath(path)) => [path, HfGpt2.SiblingConfigPath(path)],
        _ => [path],
    };

    /// <summary>
    /// Loads model weights from a checkpoint directory, a run directory (its newest complete checkpoint), a safetensors
    /// file in Hugging Face GPT-2 layout (Eslm's own weights files included) or an llm.c model file.
    /// <paramref name="heads"/> is only needed for HF files without n_head metadata or config.json.
    /// </summary>
    public static Gpt Load(string path, int? heads = null)
    {
        switch (Detect(path))
        {
            case ModelFileKind.CheckpointDirectory:
                return Checkpoint.LoadModel(path);
            case ModelFileKind.RunDirectory:
                return Checkpoint.LoadNewestModel(path).Model;
            case ModelFileKind.Safetensors:
                using (var file = SafetensorsFile.Open(path)) return HfGpt2.Load(file, heads);
            case ModelFileKind.LlmcModel:
                return LlmcModelFile.Load(path);
            case ModelFileKind.LlmcTokenShard:
                throw new InvalidDataException($"{path}: this is an llm.c token shard (data), not a model");
            case ModelFileKind.Missing:
                throw new FileNotFoundException($"{path}: not found", path);
            default:
                // Unrecognised content: let the format named by the extension explain what is wrong.
                string ext = Path.GetExtension(path).ToLowerInvariant();
                if (ext == ".bin" && File.Exists(path)) return LlmcModelFile.Load(path);
                if (ext == ".safetensors" && File.Exists(path)) using (SafetensorsFile.Open(path)) { }
                throw new InvalidDataException(Directory.Exists(path)
                    ? $"{path}: directory holds no Eslm checkpoint (no state.json and no complete step-N checkpoints)"
                    : $"{path}: unrecognised format (expected safetensors, an llm.c model file or an Eslm checkpoint directory)");
        }
    }
}
