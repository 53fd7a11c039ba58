using System.CommandLine;
using System.Text.Json.Nodes;
using Eslm.Checkpoints;
using Eslm.Model;

namespace Eslm.Cli.Commands;

/// <summary>
/// <c>eslm convert INPUT OUTPUT</c>: model weights between Hugging Face GPT-2 safetensors (with or without the
/// "transformer." prefix), Eslm checkpoint directories and llm.c model files. The input format is detected from the
/// content; the output format comes from <c>--to</c> or the output name (.bin = llm.c, .safetensors = HF names,
/// anything else = Eslm checkpoint directory). Existing outputs are only replaced with --force, and atomically.
/// </summary>
public static class ConvertCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("input") { Description = "Model to read: .safetensors (HF GPT-2 layout or Eslm weights), llm.c .bin, or an Eslm checkpoint/run directory." };
        var output = new Argument<string>("output") { Description = "Where to write it." };
        var to = new Option<string>("--to")
        {
            Description = "Output format: safetensors (HF GPT-2 names + Eslm metadata), llmc (llm.c version 3 fp32), checkpoint (Eslm checkpoint directory, weights only). Default: from the output name.",
        };
        to.AcceptOnlyFromAmong("safetensors", "llmc", "checkpoint");
        var prefix = new Option<bool>("--transformer-prefix") { Description = "Write safetensors names with the 'transformer.' prefix (GPT2LMHeadModel) instead of GPT2Model names." };
        var hfConfig = new Option<bool>("--hf-config") { Description = "Also write Hugging Face's config.json next to a safetensors output." };
        var heads = new Option<int?>("--heads") { Description = "Attention heads of an HF input that has no config.json or n_head metadata." };
        var force = new Option<bool>("--force") { Description = "Replace an existing output." };
        var command = new Command("convert", "Convert GPT-2 weights between Hugging Face safetensors, Eslm checkpoints and llm.c model files.")
        {
            input, output, to, prefix, hfConfig, heads, force,
        };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            string src = parse.GetValue(input)!, dst = parse.GetValue(output)!;
            string format = parse.GetValue(to) ?? FormatFromName(dst);
            bool overwrite = parse.GetValue(force);
            if (format != "safetensors" && parse.GetValue(prefix)) throw new ArgumentException("--transformer-prefix applies to safetensors output only");
            if (format != "safetensors" && parse.GetValue(hfConfig)) throw new ArgumentException("--hf-config applies to safetensors output only");
            ModelLoader.RefuseHeads(src, parse.GetValue(heads), "input");
            // Before --force is looked at: replacing the checkpoint (or the run folder) being read would destroy the input.
            var inputs = ModelFiles.FilesRead(src);
            OutputFiles.RequireApartFromInputs(dst, inputs);
            if (format == "safetensors" && parse.GetValue(hfConfig)) OutputFiles.RequireApartFromInputs(HfGpt2.SiblingConfigPath(dst), inputs);
            if ((File.Exists(dst) || Directory.Exists(dst)) && !overwrite)
                throw new IOException($"{dst}: already exists (pass --force to replace it)");
            if (format == "checkpoint" && File.Exists(dst)) throw new IOException($"{dst}: is a file; a checkpoint is a directory");
            if (format != "checkpoint") OutputFiles.RequireFileName(dst);
            int? h = parse.GetValue(heads);
            if (h is < 1) throw new ArgumentException($"--heads must be >= 1 (got {h})");
            string? parent = Path.GetDirectoryName(Path.GetFullPath(dst));
            if (parent is not null && !Directory.Exists(parent)) throw new DirectoryNotFoundException($"{dst}: directory {parent} does not exist");
            if (format == "safetensors" && parse.GetValue(hfConfig) && File.Exists(HfGpt2.SiblingConfigPath(dst)) && !overwrite)
                throw new IOException($"{HfGpt2.SiblingConfigPath(dst)}: already exists (pass --force to replace it)");

            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var model = ModelFiles.Load(src, h);
            double readSeconds = clock.Elapsed.TotalSeconds;
            clock.Restart();
            switch (format)
            {
                case "llmc": LlmcModelFile.Save(dst, model); break;
                case "checkpoint":
                    Checkpoint.Save(dst, model, null, null, new JsonObject { ["converted_from"] = Path.GetFullPath(src) });
                    break;
                default: HfGpt2.Save(dst, model, parse.GetValue(prefix), parse.GetValue(hfConfig)); break;
            }
            Console.WriteLine($"{src} -> {dst} ({format}): {model.Config}; read {readSeconds:F2} s, wrote {clock.Elapsed.TotalSeconds:F2} s");
            return 0;
        }));
        return command;
    }

    private static string FormatFromName(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".bin" => "llmc",
        ".safetensors" => "safetensors",
        _ => "checkpoint",
    };
}
