using System.CommandLine;
using Eslm.Data;

namespace Eslm.Cli.Commands;

/// <summary>
/// <c>eslm prepare INPUT... -o DIR</c> or <c>eslm prepare --recipe clean|noisy|mixed|builtin-* -o DIR</c>: tokenize documents
/// with GPT-2 BPE into a dataset folder of llm.c shards (train_NNNNNN.bin / val_NNNNNN.bin) and manifest.json.
/// </summary>
public static class PrepareCommand
{
    public static Command Create()
    {
        var inputs = new Argument<string[]>("inputs") { Description = "Text files, directories, globs, .gz, .jsonl, or - for stdin", Arity = ArgumentArity.ZeroOrMore };
        var output = new Option<string>("--output", "-o", "--out") { Description = "Dataset folder to write", Required = true };
        var recipe = new Option<string?>("--recipe") { Description = "A standard dataset instead of inputs: clean, noisy, mixed (fetched corpora) or builtin-clean, builtin-noisy, builtin-mixed" };
        recipe.AcceptOnlyFromAmong(Recipes.Names);
        var split = new Option<string>("--split-docs") { Description = "How a file splits into documents: auto (jsonl for .jsonl, else file), file, blank-line, jsonl", DefaultValueFactory = _ => "auto" };
        split.AcceptOnlyFromAmong("auto", "file", "blank-line", "jsonl");
        var field = new Option<string>("--field") { Description = "JSONL field holding the text", DefaultValueFactory = _ => "text" };
        var domainField = new Option<string>("--domain-field") { Description = "JSONL field holding the domain label (used when present)", DefaultValueFactory = _ => "domain" };
        var domain = new Option<string?>("--domain") { Description = "Domain label for documents without one (default: the input's file name; see --file-name-domains)" };
        var fileNameDomains = new Option<bool>("--file-name-domains")
        {
            Description = "Give every file found in a folder or glob its file name as domain (default: only names that repeat; others take the folder's name)",
        };
        var valFraction = new Option<double>("--val-fraction") { Description = "Share of whole documents held out for validation", DefaultValueFactory = _ => 0.05 };
        var valDocs = new Option<int?>("--val-docs") { Description = "Number of documents held out for validation (instead of --val-fraction)" };
        var seed = new Option<ulong>("--seed") { Description = "Seed for the split, the document order and mixing", DefaultValueFactory = _ => 1337UL };
        var shardTokens = new Option<long>("--shard-tokens") { Description = "Tokens per shard file", DefaultValueFactory = _ => 100_000_000L };
        var noShuffle = new Option<bool>("--no-shuffle") { Description = "Keep input document order within each split (default: seeded shuffle)" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing dataset in the output folder" };
        var invalid = InvalidUtf8Option.Create("Invalid UTF-8: error (default) or replace with U+FFFD");
        var cleanShare = new Option<double>("--clean-share") { Description = "mixed recipes: share of clean tokens in the result", DefaultValueFactory = _ => Recipes.DefaultCleanShare };
        var dataDir = new Option<string>("--data-dir") { Description = "Folder with the fetched corpora (raw/)", DefaultValueFactory = _ => "data" };
        var maxInput = new Option<long>(InputLimit.Option)
        {
            Description = $"The most MiB one input may hold after decompression (at most {InputLimit.MaxBytes >> 20}): a device or endless stdin stops there",
            DefaultValueFactory = _ => InputLimit.DefaultBytes >> 20,
        };
        var threads = new Option<int>("--threads") { Description = "Tokenizer threads (0 = all cores)", DefaultValueFactory = _ => 0 };
        var command = new Command("prepare", "Tokenize text into a dataset folder: llm.c shards train_NNNNNN.bin / val_NNNNNN.bin and manifest.json.") { inputs };
        foreach (var o in new Option[] { output, recipe, split, field, domainField, domain, fileNameDomains, valFraction, valDocs, seed, shardTokens, noShuffle, overwrite, invalid, cleanShare, dataDir, maxInput, threads })
            command.Options.Add(o);
        command.SetAction(r => CliRunner.Run(() =>
        {
            var given = r.GetValue(inputs) ?? [];
            long maxMiB = r.GetValue(maxInput);
            if (maxMiB < 1 || maxMiB > InputLimit.MaxBytes >> 20) throw new ArgumentException($"{InputLimit.Option} must be in [1, {InputLimit.MaxBytes >> 20}] (got {maxMiB})");
            long limit = Math.Min(maxMiB << 20, InputLimit.MaxBytes);
            string? recipeName = r.GetValue(recipe);
            var inputFlags = new InputFlags(split, field, domainField, domain, fileNameDomains, cleanShare, dataDir);
            var (files, share, splitDocs) = ResolveInputs(r, inputFlags, recipeName, given);
            if (r.GetValue(threads) < 0) throw new ArgumentException($"--threads must be >= 0 (0 = all cores; got {r.GetValue(threads)})");
            // --val-docs replaces --val-fraction; both given would silently ignore one of them.
            if (r.GetValue(valDocs) is not null && UnusedOptions.Given(r, valFraction))
                throw new ArgumentException("give either --val-docs or --val-fraction, not both");
            // --overwrite replaces the whole folder: an input file inside it would be gone before it was read.
            OutputFiles.RequireApartFromInputs(r.GetValue(output)!, files.Where(f => !f.IsStdin && f.Content is null).Select(f => f.Path));
            var options = new PrepareOptions
            {
                Inputs = files, OutputDirectory = r.GetValue(output)!, Recipe = recipeName,
                Input = new InputOptions
                {
                    Split = splitDocs,
                    Field = r.GetValue(field)!, DomainField = r.GetValue(domainField)!, Domain = r.GetValue(domain), InvalidUtf8 = InvalidUtf8Option.Value(r, invalid),
                },
                ValFraction = r.GetValue(valFraction), ValDocuments = r.GetValue(valDocs), Seed = r.GetValue(seed), ShardTokens = r.GetValue(shardTokens),
                Shuffle = !r.GetValue(noShuffle), Overwrite = r.GetValue(overwrite), Threads = r.GetValue(threads), CleanShare = share, MaxInputBytes = limit,
            };
            var result = CorpusPreparer.Prepare(options, ShowProgress());
            PrintSummary(result, options);
            return 0;
        }, outOfMemoryHint: $"lower {InputLimit.Option} or split large inputs into smaller files"));
        return command;
    }

    /// <summary>The options that choose and read the input documents.</summary>
    private sealed record InputFlags(Option<string> Split, Option<string> Field, Option<string> DomainField, Option<string?> Domain,
        Option<bool> FileNameDomains, Option<double> CleanShare, Option<string> DataDir);

    /// <summary>
    /// The input files (a recipe's corpora, or the files, folders and globs given) and how they split into documents;
    /// an option that could change nothing for these inputs is refused (docs/cli-rules.md, "Options").
    /// </summary>
    private static (List<InputFile> Files, double? Share, DocumentSplit Split) ResolveInputs(ParseResult r, InputFlags o, string? recipeName, string[] given)
    {
        List<InputFile> files;
        double? share = null;
        if (recipeName is not null)
        {
            if (given.Length > 0) throw new ArgumentException("give either --recipe or inputs, not both");
            // A recipe's corpora are JSONL whose every line names its domain: these options could change nothing.
            if (!Recipes.Mixes(recipeName)) UnusedOptions.Refuse(r, $"with --recipe {recipeName} (only mixed recipes mix)", o.CleanShare);
            if (Recipes.IsBuiltin(recipeName)) UnusedOptions.Refuse(r, $"with --recipe {recipeName} (built in, nothing fetched)", o.DataDir);
            UnusedOptions.Refuse(r, "with --recipe (its corpora are JSONL, one document a line)", o.Split);
            UnusedOptions.Refuse(r, "with --recipe (it reads no folders)", o.FileNameDomains);
            if (!UnusedOptions.Given(r, o.DomainField)) UnusedOptions.Refuse(r, "with --recipe (every document of a recipe names its domain)", o.Domain);
            (files, share) = Recipes.Resolve(recipeName, r.GetValue(o.DataDir)!, r.GetValue(o.CleanShare));
        }
        else
        {
            if (given.Length == 0) throw new ArgumentException("no inputs: give files, directories, globs or - (stdin), or --recipe");
            UnusedOptions.Refuse(r, "without a mixed --recipe (mixed or builtin-mixed)", o.CleanShare);
            UnusedOptions.Refuse(r, "without --recipe clean, noisy or mixed (it holds their fetched corpora)", o.DataDir);
            // --domain names every document without a domain field, so no file keeps the name --file-name-domains gives.
            if (UnusedOptions.Given(r, o.Domain)) UnusedOptions.Refuse(r, "with --domain (it names every document without a domain field)", o.FileNameDomains);
            files = DocumentReader.Expand(given, m => Console.Error.WriteLine($"eslm: warning: {m}"), r.GetValue(o.FileNameDomains))
                .Select(f => f.IsStdin ? f with { OpenStream = Console.OpenStandardInput } : f).ToList();
        }
        var splitDocs = r.GetValue(o.Split) switch { "file" => DocumentSplit.File, "blank-line" => DocumentSplit.BlankLine, "jsonl" => DocumentSplit.Jsonl, _ => DocumentSplit.Auto };
        // Only JSONL inputs read fields; a mix of .txt and .jsonl reads them from the .jsonl ones.
        if (!files.Any(f => DocumentReader.Resolve(splitDocs, f) == DocumentSplit.Jsonl))
            UnusedOptions.Refuse(r, "without JSONL input (a .jsonl file, or --split-docs jsonl)", o.Field, o.DomainField);
        return (files, share, splitDocs);
    }

    /// <summary>A progress bar per phase: "tokenize" (bytes read) then "write" (tokens written).</summary>
    private static Action<PrepareProgress> ShowProgress()
    {
        ProgressReporter? bar = null;
        string phase = "";
        return p =>
        {
            if (p.Phase != phase) { phase = p.Phase; bar = p.Phase == "read" ? new ProgressReporter("tokenize", p.Total, "B") : new ProgressReporter("write", p.Total, "tokens"); }
            bar!.Total = Math.Max(bar.Total, p.Total);
            bar.Report(p.Done);
        };
    }

    private static void PrintSummary(PrepareResult result, PrepareOptions options)
    {
        foreach (var warning in result.Warnings) Console.Error.WriteLine($"eslm: warning: {warning}");
        Console.WriteLine($"{result.Directory}: train {result.Train.Documents:N0} documents, {result.Train.Tokens:N0} tokens; " +
                          $"val {result.Val.Documents:N0} documents, {result.Val.Tokens:N0} tokens; {result.Domains} domains");
        if (result.ValHoldout == "document-tails")
            Console.WriteLine($"  val: too few documents to hold out whole ones, so the last {options.ValFraction * 100:0.#}% of each document " +
                              "(cut at a line break where possible) is held out instead (manifest: val_holdout = document-tails)");
        Console.WriteLine($"  {result.TextBytes / 1e6:F2} MB of text in {result.Seconds:F1} s ({result.MegabytesPerSecond:F1} MB/s)");
    }

    /// <summary>Standard input, at most <paramref name="limit"/> bytes (`prepare - &lt; /dev/zero` stops with a message).</summary>
    internal static byte[] ReadStdin() => ReadStdin(InputLimit.DefaultBytes);

    internal static byte[] ReadStdin(long limit)
    {
        using var stdin = Console.OpenStandardInput();
        return InputLimit.ReadAll(stdin, limit, "<stdin>", size: null, text: true);
    }
}
