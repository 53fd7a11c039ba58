using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Eslm.Data;
using Eslm.Tokenization;

namespace Eslm.Cli.Commands;

/// <summary>
/// <c>eslm tokenize FILE|-</c>: GPT-2 token ids, space-separated; <c>--decode</c> turns ids back into text;
/// <c>--bench</c> measures MB/s of Eslm's tokenizer next to SharpToken's r50k_base on the same text, checking the ids agree.
/// </summary>
public static class TokenizeCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("input") { Description = "A text file, or - for standard input (ids with --decode)" };
        var decode = new Option<bool>("--decode") { Description = "Read token ids (separated by spaces, commas or newlines) and print the text" };
        var allowSpecial = new Option<bool>("--allow-special") { Description = "Encode a literal <|endoftext|> as id 50256 (default: as ordinary text)" };
        var count = new Option<bool>("--count") { Description = "Print only the number of tokens" };
        var bench = new Option<bool>("--bench") { Description = "Benchmark: MB/s of Eslm (1 thread and all threads) vs SharpToken r50k_base on this file" };
        var repeat = new Option<int>("--repeat") { Description = "Benchmark repetitions (the best is reported)", DefaultValueFactory = _ => 3 };
        var invalid = InvalidUtf8Option.Create("Invalid UTF-8 in the input: error or replace (with U+FFFD)");
        var command = new Command("tokenize", "GPT-2 BPE: print the token ids of a text (or decode ids with --decode); --bench compares speed with SharpToken.")
            { input, decode, allowSpecial, count, bench, repeat, invalid };
        command.SetAction(r => CliRunner.Run(() =>
        {
            // Each mode reads only its own options; one given to another mode is refused, not dropped.
            if (r.GetValue(decode)) UnusedOptions.Refuse(r, "with --decode (it reads ids, prints text)", count, allowSpecial, bench, repeat, invalid);
            else if (r.GetValue(bench)) UnusedOptions.Refuse(r, "with --bench (it times the plain encoding)", count, allowSpecial);
            else UnusedOptions.Refuse(r, "without --bench", repeat);
            string path = r.GetValue(input)!;
            var file = new InputFile(path) { Content = path == "-" ? PrepareCommand.ReadStdin : null };
            var (bytes, _, _) = DocumentReader.ReadBytes(file);
            string name = file.IsStdin ? "<stdin>" : path;
            var tokenizer = Gpt2Tokenizer.Default;
            if (r.GetValue(decode))
            {
                var ids = ParseIds(Encoding.ASCII.GetString(bytes), name);
                var stdout = Console.OpenStandardOutput();
                stdout.Write(tokenizer.DecodeToBytes(ids));
                stdout.Flush();
                return 0;
            }
            string text = TextDecoding.Decode(bytes, name, InvalidUtf8Option.Value(r, invalid));
            if (r.GetValue(bench)) return Bench(text, name, r.GetValue(repeat));
            var tokens = r.GetValue(allowSpecial) ? tokenizer.Encode(text, allowSpecial: true) : tokenizer.EncodeLarge(text);
            if (r.GetValue(count)) { Console.WriteLine(tokens.Length); return 0; }
            var output = new StringBuilder(tokens.Length * 6);
            for (int i = 0; i < tokens.Length; i++) { if (i > 0) output.Append(' '); output.Append(tokens[i]); }
            Console.Out.WriteLine(output.ToString());
            return 0;
        }));
        return command;
    }

    private static int[] ParseIds(string text, string name)
    {
        var parts = text.Split([' ', '\n', '\r', '\t', ','], StringSplitOptions.RemoveEmptyEntries);
        var ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out ids[i]) || ids[i] > Gpt2Tokenizer.EndOfText)
                throw new InvalidDataException($"{name}: '{parts[i]}' (item {i + 1}) is not a GPT-2 token id in [0, 50256]");
        return ids;
    }

    /// <summary>Best-of-N MB/s of SharpToken and Eslm on the same text (the ids must agree, but where SharpToken departs from GPT-2).</summary>
    private static int Bench(string text, string name, int repeat)
    {
        if (repeat < 1) throw new ArgumentException($"--repeat must be >= 1 (got {repeat})");
        if (text.Length == 0) throw new InvalidDataException($"{name}: no text to benchmark (the input is empty)"); // bytes/token would be NaN
        double mb = Encoding.UTF8.GetByteCount(text) / 1e6;
        var sharp = SharpToken.GptEncoding.GetEncoding("r50k_base");
        var none = new HashSet<string>();
        var reference = sharp.Encode(text, none, none);
        var eslm = Gpt2Tokenizer.Default;
        var mine = eslm.Encode(text);
        bool same = reference.SequenceEqual(mine);
        if (!same)
        {
            int at = 0;
            while (at < mine.Length && at < reference.Count && mine[at] == reference[at]) at++;
            if (!PreTokenizer.HasAstralLetterOrDigit(text)) throw new InvalidDataException($"{name}: Eslm and SharpToken disagree at token {at}");
            Console.Error.WriteLine($"tokenize: note: {name}: the ids differ from SharpToken's from token {at} on: the text has letters or digits " +
                                    "outside the Basic Multilingual Plane, which SharpToken classifies per UTF-16 code unit (Eslm follows tiktoken)");
        }
        double Best(Action a)
        {
            double best = double.MaxValue;
            for (int i = 0; i < repeat; i++) { var sw = Stopwatch.StartNew(); a(); best = Math.Min(best, sw.Elapsed.TotalSeconds); }
            return best;
        }
        double tSharp = Best(() => sharp.Encode(text, none, none));
        var fresh = new Queue<Gpt2Tokenizer>(Enumerable.Range(0, repeat).Select(_ => new Gpt2Tokenizer(Gpt2Vocabulary.Default)));
        double tCold = Best(() => fresh.Dequeue().Encode(text));
        double tWarm = Best(() => eslm.Encode(text));
        double tParallel = Best(() => eslm.EncodeLarge(text));
        Console.WriteLine($"{name}: {mb:F2} MB, {mine.Length:N0} tokens ({mb * 1e6 / mine.Length:F2} bytes/token), " +
                          (same ? "ids identical to SharpToken r50k_base" : "ids differ from SharpToken r50k_base (see the note)"));
        Console.WriteLine($"  SharpToken 2.0.6 r50k_base  1 thread           {mb / tSharp,8:F1} MB/s");
        Console.WriteLine($"  Eslm Gpt2Tokenizer          1 thread, cold cache {mb / tCold,8:F1} MB/s  ({tSharp / tCold:F1}x)");
        Console.WriteLine($"  Eslm Gpt2Tokenizer          1 thread, warm cache {mb / tWarm,8:F1} MB/s  ({tSharp / tWarm:F1}x)");
        Console.WriteLine($"  Eslm Gpt2Tokenizer          {Environment.ProcessorCount} threads          {mb / tParallel,8:F1} MB/s  ({tSharp / tParallel:F1}x)");
        Console.WriteLine($"  (best of {repeat}; cold = a fresh tokenizer, empty piece cache; {Environment.ProcessorCount} logical cores)");
        return 0;
    }
}
