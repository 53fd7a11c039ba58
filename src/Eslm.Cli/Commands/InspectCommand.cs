using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Eslm.Checkpoints;
using Eslm.Model;

namespace Eslm.Cli.Commands;

/// <summary>
/// <c>eslm inspect PATH</c>: describes a safetensors file (metadata, tensors, dtypes, shapes, counts, the GPT-2 shape when
/// it is one), an llm.c model file or token shard (header fields, size check), an Eslm checkpoint (model, step, files,
/// state), a run directory (its checkpoints), an experiment directory (<see cref="InspectExperiment"/>), and Eslm's data and record files (<see cref="InspectDataFiles"/>). The format
/// is detected from the content. A truncated or damaged file is described, then reported as an error (exit 1).
/// </summary>
public static class InspectCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "A .safetensors file, an llm.c model file or token shard, an Eslm checkpoint, run or experiment directory, a dataset folder, a reference-loss sidecar, or a JSON/JSONL (or .jsonl.gz) file Eslm wrote." };
        var heads = new Option<int?>("--heads") { Description = "Attention heads, to describe an HF file that has no n_head metadata or config.json." };
        var command = new Command("inspect", "Describe a model file, checkpoint, token shard, dataset or other file Eslm writes; a damaged file is an error (exit 1).") { path, heads };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            string p = parse.GetValue(path)!;
            RefuseHeadsUnlessSafetensors(parse, heads, p);
            // Eslm's data and record files first: a reference-loss sidecar's header looks like safetensors' to Detect.
            if (InspectDataFiles.IsReferenceLosses(p)) { InspectDataFiles.DescribeReferenceLosses(p); return 0; }
            if (Directory.Exists(p) && File.Exists(Path.Combine(p, Eslm.Data.Dataset.ManifestName))) { InspectDataFiles.DescribeDataset(p); return 0; }
            if (File.Exists(p) && Path.GetFileName(p) == Eslm.Data.Dataset.ManifestName) { InspectDataFiles.DescribeDataset(Path.GetDirectoryName(Path.GetFullPath(p))!); return 0; }
            if (Directory.Exists(p) && File.Exists(Path.Combine(p, Eslm.Experiments.ExperimentRunner.SpecFile))) { InspectExperiment.Describe(p); return 0; }
            if (File.Exists(p) && IsJsonName(p)) { InspectDataFiles.DescribeJson(p); return 0; }
            var kind = ModelFiles.Detect(p);
            switch (kind)
            {
                case ModelFileKind.Safetensors: DescribeSafetensors(p, parse.GetValue(heads)); break;
                case ModelFileKind.LlmcModel: DescribeLlmcModel(p); break;
                case ModelFileKind.LlmcTokenShard: DescribeShard(p); break;
                case ModelFileKind.CheckpointDirectory: DescribeCheckpoint(p); break;
                case ModelFileKind.RunDirectory: DescribeRun(p); break;
                case ModelFileKind.Missing: throw new FileNotFoundException($"{p}: not found");
                case ModelFileKind.Unknown when Directory.Exists(p) && ShardsIn(p).Count > 0: DescribeDataset(p); break;
                case ModelFileKind.Unknown when File.Exists(p) && Path.GetExtension(p).Equals(".bin", StringComparison.OrdinalIgnoreCase): DescribeRawTokens(p); break;
                default:
                    throw new InvalidDataException(Directory.Exists(p)
                        ? $"{p}: directory holds no Eslm checkpoint (no state.json and no complete step-N checkpoints)"
                        : $"{p}: unrecognised format (not safetensors, an llm.c model file, token shard or nanoGPT .bin)");
            }
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// --heads only completes an HF safetensors file that records no head count; anything else would describe the same
    /// with or without it, so it is refused as convert and sample refuse it. A missing path is left to "not found".
    /// </summary>
    private static void RefuseHeadsUnlessSafetensors(ParseResult parse, Option<int?> heads, string p)
    {
        bool safetensors = File.Exists(p) && !InspectDataFiles.IsReferenceLosses(p) && !IsJsonName(p) && ModelFiles.Detect(p) == ModelFileKind.Safetensors;
        if (!safetensors && (File.Exists(p) || Directory.Exists(p)))
            UnusedOptions.Refuse(parse, $"with {p}: it is read only for a .safetensors model file without a recorded head count (leave --heads out)", heads);
    }

    private static bool IsJsonName(string p) =>
        p.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || p.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)
        || p.EndsWith(".jsonl.gz", StringComparison.OrdinalIgnoreCase);

    private static string N(long x) => x.ToString("N0", CultureInfo.InvariantCulture);

    private static void DescribeSafetensors(string path, int? heads)
    {
        using var file = SafetensorsFile.Open(path);
        Console.WriteLine($"{path}: safetensors, {N(file.FileLength)} bytes, header {N(file.DataStart - 8)} bytes, {file.Tensors.Count} tensors");
        foreach (var (k, v) in file.Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            Console.WriteLine($"  metadata {k} = {v}");
        var byType = file.Tensors.GroupBy(t => t.DType).Select(g => $"{g.Key}: {g.Count()} tensors, {N(g.Sum(t => t.ElementCount))} elements");
        Console.WriteLine($"  dtypes: {string.Join("; ", byType)}");
        int width = Math.Min(60, file.Tensors.Select(t => t.Name.Length).DefaultIfEmpty(4).Max());
        Console.WriteLine($"  {"name".PadRight(width)}  dtype  {"shape",-20} {"elements",14}");
        foreach (var t in file.Tensors)
            Console.WriteLine($"  {t.Name.PadRight(width)}  {t.DType,-5}  {t.ShapeText,-20} {N(t.ElementCount),14}");
        try
        {
            var config = HfGpt2.InferConfig(file, heads);
            Console.WriteLine($"  GPT-2 (prefix '{HfGpt2.DetectPrefix(file)}'): {config}");
        }
        catch (InvalidDataException e)
        {
            string why = e.Message.StartsWith(path + ": ", StringComparison.Ordinal) ? e.Message[(path.Length + 2)..] : e.Message;
            Console.WriteLine($"  not loadable as GPT-2 as is: {why}");
        }
    }

    private static void DescribeLlmcModel(string path)
    {
        var header = LlmcModelFile.ReadHeader(path);
        var c = header.Config;
        long count = ParameterLayout.For(c).Sum(s => s.Count);
        long expected = LlmcModelFile.HeaderBytes + count * (header.Version == LlmcModelFile.VersionFp32 ? 4 : 2);
        long actual = new FileInfo(path).Length;
        Console.WriteLine($"{path}: llm.c model file, version {header.Version} ({(header.Version == LlmcModelFile.VersionFp32 ? "fp32" : "bf16")}), {N(actual)} bytes");
        Console.WriteLine($"  magic {LlmcModelFile.Magic}, maxT {c.MaxSequenceLength}, V {c.VocabSize}, L {c.L}, NH {c.NH}, C {c.C}, Vp {c.Vp}");
        Console.WriteLine($"  {c}; {N(count)} stored parameters (padded vocabulary)");
        foreach (var s in ParameterLayout.For(c)) Console.WriteLine($"  {s.Name,-10} [{string.Join(", ", s.Shape)}]");
        Console.WriteLine(actual == expected ? "  size: ok" : $"  size: {N(actual)} bytes but the header implies {N(expected)} ({(actual < expected ? "truncated" : "trailing bytes")})");
        if (actual != expected)
            throw new InvalidDataException($"{path}: {(actual < expected ? "truncated" : "trailing bytes after the parameters of")} llm.c model file ({N(actual)} bytes, the header implies {N(expected)})");
    }

    /// <summary>llm.c token shard: 256 int32 header (magic 20240520, version 1, token count), then uint16 tokens.</summary>
    private static void DescribeShard(string path)
    {
        long length = new FileInfo(path).Length;
        if (length < 1024) throw new InvalidDataException($"{path}: truncated: {length} bytes, shorter than the 1024-byte shard header");
        var h = new int[256];
        using (var f = File.OpenHandle(path)) RandomAccess.Read(f, MemoryMarshal.AsBytes(h.AsSpan()), 0);
        Console.WriteLine($"{path}: llm.c token shard, {N(length)} bytes");
        Console.WriteLine($"  magic {h[0]}, version {h[1]}{(h[1] == 1 ? " (uint16 tokens)" : " (unsupported: expected 1)")}, tokens {N(h[2])}");
        long expected = 1024 + 2L * (uint)h[2];
        Console.WriteLine(length == expected ? "  size: ok" : $"  size: {N(length)} bytes but the header implies {N(expected)} ({(length < expected ? "truncated" : "trailing bytes")})");
        // Described first, then reported: the loaders refuse such a shard, so inspect must not call it fine (exit 0).
        TokenShardCheck(path);
    }

    /// <summary>
    /// A headerless uint16 .bin (nanoGPT's train.bin / val.bin), which `--data` reads: its token count and the largest id
    /// of its first million tokens. Text or an odd byte count is the error `--data` would give.
    /// </summary>
    private static void DescribeRawTokens(string path)
    {
        Eslm.Data.TokenFileCheck.RequireTokenFile(path);
        long tokens = new FileInfo(path).Length / 2;
        var head = new ushort[(int)Math.Min(tokens, 1 << 20)];
        using (var f = File.OpenHandle(path)) RandomAccess.Read(f, MemoryMarshal.AsBytes(head.AsSpan()), 0);
        int largest = head.Length == 0 ? 0 : head.Max();
        Console.WriteLine($"{path}: headerless uint16 token file (nanoGPT's .bin), {N(tokens)} tokens");
        Console.WriteLine($"  largest id in the first {N(head.Length)} tokens: {largest}" +
                          (largest > Eslm.Tokenization.Gpt2Tokenizer.EndOfText ? $" (beyond GPT-2's vocabulary: train with --vocab {largest + 1} or more)" : ""));
    }

    private static void TokenShardCheck(string path) => Eslm.Data.TokenShard.ReadHeader(path);

    private static List<string> ShardsIn(string directory) =>
        Directory.EnumerateFiles(directory).Where(IsShard).Order(StringComparer.Ordinal).ToList();

    /// <summary>A file another process holds open exclusively (a run's lock) or that cannot be read is not a shard, not an error.</summary>
    private static bool IsShard(string file)
    {
        try { return ModelFiles.Detect(file) == ModelFileKind.LlmcTokenShard; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>A directory of llm.c token shards: one line per shard and the total.</summary>
    private static void DescribeDataset(string path)
    {
        var shards = ShardsIn(path);
        long total = 0;
        Console.WriteLine($"{path}: dataset of {shards.Count} llm.c token shard(s)");
        foreach (var shard in shards)
        {
            var h = new int[3];
            using (var f = File.OpenHandle(shard)) RandomAccess.Read(f, MemoryMarshal.AsBytes(h.AsSpan()), 0);
            long length = new FileInfo(shard).Length;
            bool ok = h[1] == 1 && length == 1024 + 2L * h[2];
            Console.WriteLine($"  {Path.GetFileName(shard)}  {N(h[2]),15} tokens{(ok ? "" : "  (size or version does not match the header)")}");
            total += h[2];
        }
        Console.WriteLine($"  total {N(total)} tokens");
        foreach (var shard in shards) TokenShardCheck(shard);
    }

    private static void DescribeCheckpoint(string path)
    {
        var (config, root) = Checkpoint.ReadState(path);
        var meta = (JsonObject)root[Checkpoint.MetaKey]!;
        bool complete = Checkpoint.IsComplete(path);
        Console.WriteLine($"{path}: Eslm checkpoint (format {meta["format_version"]}, code {meta["code_version"]}, saved {meta["saved_utc"]}){(complete ? "" : " — INCOMPLETE: a file is missing or has the wrong length")}");
        Console.WriteLine($"  model: {config}");
        if (root["step"] is { } step) Console.WriteLine($"  step: {step.ToJsonString()}");
        Console.WriteLine($"  optimizer: {(meta["optimizer_step"] is { } os ? $"AdamW moments, step {os.ToJsonString()}" : "none")}");
        if (meta["files"] is JsonObject files)
            foreach (var (name, size) in files) Console.WriteLine($"  file {name}: {N(size!.GetValue<long>())} bytes");
        var state = new JsonObject();
        foreach (var (k, v) in root) if (k != Checkpoint.MetaKey) state[k] = v?.DeepClone();
        string json = state.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        var lines = json.Split('\n');
        Console.WriteLine("  state:");
        foreach (var line in lines.Take(60)) Console.WriteLine("    " + line);
        if (lines.Length > 60) Console.WriteLine($"    … ({lines.Length - 60} more lines in {Path.Combine(path, Checkpoint.StateFile)})");
        Checkpoint.Verify(path); // described first; then a damaged file is the error, naming it (exit 1)
    }

    private static void DescribeRun(string path)
    {
        var all = Checkpoint.ListComplete(path);
        Console.WriteLine($"{path}: run directory with {all.Count} complete checkpoint(s); latest: {all[^1].Path}");
        foreach (var (step, dir) in all)
        {
            long bytes = Directory.EnumerateFiles(dir).Sum(f => new FileInfo(f).Length);
            Console.WriteLine($"  step {step,10}  {Path.GetFileName(dir)}  {N(bytes)} bytes");
        }
    }
}
