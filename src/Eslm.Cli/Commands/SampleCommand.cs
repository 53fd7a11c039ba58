using System.CommandLine;
using System.Globalization;
using Eslm.Checkpoints;
using Eslm.Sampling;
using Eslm.Tensors;
using Eslm.Tokenization;

namespace Eslm.Cli.Commands;

/// <summary>
/// <c>eslm sample --checkpoint C --prompt-ids "…" --max-new-tokens N --temperature T --top-k K --seed S</c>:
/// autoregressive sampling with a KV cache (<see cref="Sampler"/>) from an Eslm checkpoint, an HF GPT-2 safetensors file
/// or an llm.c model file. A text prompt (--prompt) is encoded with the GPT-2 tokenizer and the prompt plus the
/// continuation are printed as text, streamed; with --prompt-ids (or --print-ids) the new token ids are printed instead.
/// </summary>
public static class SampleCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Model: Eslm checkpoint or run directory (newest checkpoint), HF GPT-2 .safetensors, or llm.c .bin.", Required = true };
        var prompt = new Option<string?>("--prompt") { Description = "Prompt text, encoded with the GPT-2 tokenizer (<|endoftext|> is the special token 50256)." };
        var promptIds = new Option<string?>("--prompt-ids") { Description = "Prompt as token ids separated by spaces or commas, e.g. \"50256 464 2068\"." };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Tokens to generate.", DefaultValueFactory = _ => 64 };
        var temperature = new Option<float>("--temperature") { Description = "Softmax temperature; 0 = greedy.", DefaultValueFactory = _ => 1f };
        var topK = new Option<int>("--top-k") { Description = "Sample among the K most likely tokens (0 = all).", DefaultValueFactory = _ => 200 };
        var seed = new Option<ulong>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 1337 };
        var stopToken = new Option<string?>("--stop-token") { Description = "Stop after generating this token: an id or its text (e.g. 50256, <|endoftext|>)." };
        var heads = new Option<int?>("--heads") { Description = "Attention heads of an HF file that has no config.json or n_head metadata." };
        var threads = new Option<int>("--threads") { Description = "Threads (0 = all cores).", DefaultValueFactory = _ => 0 };
        var printIds = new Option<bool>("--print-ids") { Description = "Print the new token ids instead of text (the default with --prompt-ids)." };
        var precision = new PrecisionOption();
        var command = new Command("sample", "Generate tokens from a model with a KV cache (temperature, top-k, seed).")
        {
            checkpoint, prompt, promptIds, maxNew, temperature, topK, seed, stopToken, heads, threads, printIds, precision.Option,
        };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            string path = parse.GetValue(checkpoint)!;
            int n = parse.GetValue(maxNew);
            if (n < 0) throw new ArgumentException($"--max-new-tokens must be >= 0 (got {n})");
            var options = new SamplingOptions(parse.GetValue(temperature), parse.GetValue(topK)).Validated();
            string? text = parse.GetValue(prompt), ids = parse.GetValue(promptIds);
            if (text is not null && ids is not null) throw new ArgumentException("give either --prompt or --prompt-ids, not both");
            if (text is null && ids is null) throw new ArgumentException("a prompt is required: --prompt \"text\" or --prompt-ids \"ids\"");
            if (text is not null && text.Length == 0) throw new ArgumentException("--prompt is empty");
            Gpt2Tokenizer? tokenizer = text is not null ? Gpt2Tokenizer.Default : null;
            int[] promptTokens = tokenizer?.Encode(text, allowSpecial: true) ?? ParseIds(ids!);
            bool asText = text is not null && !parse.GetValue(printIds);
            int? stop = parse.GetValue(stopToken) is { } stopText ? ParseStopToken(stopText) : null;
            CliRunner.ConfigureThreads(parse.GetValue(threads));
            var gemmPrecision = precision.Resolve(parse);

            ModelLoader.RefuseHeads(path, parse.GetValue(heads), "--checkpoint");
            using var model = ModelLoader.LoadAnnounced(path, parse.GetValue(heads));
            model.Precision = gemmPrecision;
            int V = model.Config.VocabSize;
            if (stop >= V) throw new ArgumentException($"--stop-token: token id {stop} is outside the model's vocabulary [0, {V})");
            foreach (int t in promptTokens)
                if (t >= V)
                    throw new ArgumentException($"{(text is null ? "--prompt-ids" : "--prompt")}: token id {t} is outside the model's vocabulary [0, {V})");
            if (asText && V > tokenizer!.VocabularySize)
                throw new ArgumentException($"{path}: the model's vocabulary ({V}) is larger than GPT-2's ({tokenizer.VocabularySize}), so its tokens cannot be shown as text; use --print-ids");
            if (promptTokens.Length > model.Config.MaxSequenceLength)
                Console.Error.WriteLine($"eslm: warning: the prompt has {promptTokens.Length} tokens, more than the model's context of " +
                                        $"{model.Config.MaxSequenceLength}: only its last {model.Config.MaxSequenceLength} condition the continuation");
            using var sampler = new Sampler(model);
            var rng = new Rng(parse.GetValue(seed));
            using var stdout = StandardOutput.Open();
            try
            {
                if (asText) { stdout.Write(tokenizer!.DecodeToBytes(promptTokens)); stdout.Flush(); }
                bool first = true;
                sampler.Generate(promptTokens, n, options, rng, token =>
                {
                    if (asText) stdout.Write(tokenizer!.TokenToBytes(token));
                    else stdout.Write(System.Text.Encoding.ASCII.GetBytes((first ? "" : " ") + token.ToString(CultureInfo.InvariantCulture)));
                    stdout.Flush();
                    first = false;
                }, stop);
                stdout.Write("\n"u8);
            }
            catch (IOException e) when (StandardOutput.IsBrokenPipe(e))
            {
                // The reader went away (`eslm sample … | head -c 20`): stop generating, as `yes | head` does; not an error.
            }
            return 0;
        }));
        return command;
    }

    /// <summary>A token id ("50256") or the text of exactly one GPT-2 token ("<|endoftext|>", " the").</summary>
    internal static int ParseStopToken(string text)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int id)) return id;
        var tokens = Gpt2Tokenizer.Default.Encode(text, allowSpecial: true);
        return tokens.Length == 1 ? tokens[0]
            : throw new ArgumentException($"--stop-token: '{text}' is {tokens.Length} GPT-2 tokens, not one (give one token's text or its id, e.g. <|endoftext|> or 50256)");
    }

    internal static int[] ParseIds(string text)
    {
        var parts = text.Split([' ', ',', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new ArgumentException("--prompt-ids holds no token ids");
        return parts.Select(p => int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out int id) && id >= 0 ? id
            : throw new ArgumentException($"--prompt-ids: '{p}' is not a non-negative token id")).ToArray();
    }
}
