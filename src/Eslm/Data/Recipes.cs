using System.IO.Compression;
using Eslm.Data.Corpora;

namespace Eslm.Data;

/// <summary>
/// Named dataset recipes for <c>eslm prepare --recipe</c>, so experiments name a dataset rather than a list of files:
/// <list type="bullet">
/// <item><c>clean</c> / <c>noisy</c>: the fetched corpora of that group (data/raw/&lt;corpus&gt;/documents.jsonl);</item>
/// <item><c>mixed</c>: all noisy documents plus a seeded sample of clean ones making up <c>--clean-share</c> of the tokens;</item>
/// <item><c>builtin-clean</c> / <c>builtin-noisy</c> / <c>builtin-mixed</c>: the same from the small demo corpus embedded in
/// the library (assets/corpus/*.jsonl.gz), for demos and tests where nothing can be fetched.</item>
/// </list>
/// </summary>
public static class Recipes
{
    public static readonly string[] Names = ["clean", "noisy", "mixed", "builtin-clean", "builtin-noisy", "builtin-mixed"];
    public const double DefaultCleanShare = 0.2;

    /// <summary>Whether the recipe mixes clean and noisy documents (reads --clean-share).</summary>
    public static bool Mixes(string recipe) => recipe is "mixed" or "builtin-mixed";

    /// <summary>Whether the recipe reads the embedded demo corpus rather than fetched corpora (in --data-dir).</summary>
    public static bool IsBuiltin(string recipe) => recipe.StartsWith("builtin-", StringComparison.Ordinal);

    /// <summary>The inputs of a recipe and the clean share to apply (null: keep everything).</summary>
    public static (List<InputFile> Inputs, double? CleanShare) Resolve(string recipe, string dataDirectory, double cleanShare = DefaultCleanShare)
    {
        switch (recipe)
        {
            case "builtin-clean": return ([Builtin("clean")], null);
            case "builtin-noisy": return ([Builtin("noisy")], null);
            case "builtin-mixed": return ([Builtin("noisy"), Builtin("clean")], cleanShare);
            case "clean": case "noisy": return (Fetched(recipe, dataDirectory), null);
            case "mixed": return ([.. Fetched("noisy", dataDirectory), .. Fetched("clean", dataDirectory)], cleanShare);
            default: throw new ArgumentException($"unknown recipe '{recipe}' (known: {string.Join(", ", Names)})");
        }
    }

    private static List<InputFile> Fetched(string group, string dataDirectory)
    {
        var files = new List<InputFile>();
        foreach (var spec in CorpusCatalog.Select(group))
        {
            string path = Path.Combine(dataDirectory, "raw", spec.Name, CorpusCatalog.FileName);
            if (!File.Exists(path))
                throw new FileNotFoundException($"{path}: not found (run `eslm data fetch {group}` first, or use --recipe builtin-{group})");
            files.Add(new InputFile(path) { Group = group });
        }
        return files;
    }

    /// <summary>The embedded demo corpus part ("clean" or "noisy") as a JSONL input.</summary>
    public static InputFile Builtin(string part) => new($"builtin:{part}.jsonl.gz") { Group = part, Content = () => BuiltinBytes(part) };

    /// <summary>The gzip-compressed JSONL of a built-in corpus part, as embedded.</summary>
    public static byte[] BuiltinBytes(string part)
    {
        var assembly = typeof(Recipes).Assembly;
        using var stream = assembly.GetManifestResourceStream($"Eslm.Corpus.{part}.jsonl.gz")
                           ?? throw new InvalidDataException($"built-in corpus '{part}' is not embedded in {assembly.GetName().Name}");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    /// <summary>The documents of a built-in corpus part (for tests and the demo).</summary>
    public static List<TextDocument> BuiltinDocuments(string part)
    {
        var file = Builtin(part);
        var (bytes, _, _) = DocumentReader.ReadBytes(file);
        return DocumentReader.Split(bytes, file, new InputOptions());
    }
}
