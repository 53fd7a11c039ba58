using System.CommandLine;
using Eslm.Evaluation;

namespace Eslm.Cli.Commands;

/// <summary>`eslm tasks build`: deterministic next-sentence (HellaSwag format) and last-word cloze tasks from a dataset's held-out documents.</summary>
public static class TasksCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Dataset folder whose validation documents are used", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Folder for NAME-next-sentence.jsonl and NAME-cloze.jsonl", DefaultValueFactory = _ => "tasks" };
        var name = new Option<string?>("--name") { Description = "File name prefix (default: the dataset folder's name)" };
        var items = new Option<int>("--items") { Description = "Items per task (fewer when the documents run out)", DefaultValueFactory = _ => 300 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the generator", DefaultValueFactory = _ => 1UL };
        var force = new Option<bool>("--force") { Description = "Replace existing task files" };
        var build = new Command("build", "Build a 4-way next-sentence task (distractors from other documents of the same domain) and a last-word " +
                                         "cloze task (the word occurs earlier in the passage) from held-out validation documents; same input and seed → same files.");
        foreach (var o in new Option[] { data, output, name, items, seed, force }) build.Options.Add(o);
        build.SetAction(r => CliRunner.Run(() =>
        {
            if (r.GetValue(items) < 1) throw new ArgumentException("--items must be >= 1");
            string path = r.GetValue(data)!;
            string prefix = r.GetValue(name) is { } given ? OutputFiles.RequirePlainName(given, "--name") : Path.GetFileName(Path.GetFullPath(path).TrimEnd('/'));
            string dir = r.GetValue(output)!;
            string mcPath = Path.Combine(dir, $"{prefix}-next-sentence.jsonl"), clozePath = Path.Combine(dir, $"{prefix}-cloze.jsonl");
            OutputFiles.RequireFolderName(dir);
            OutputFiles.RequireNew(mcPath, r.GetValue(force));
            OutputFiles.RequireNew(clozePath, r.GetValue(force));
            var inputs = Eslm.Data.TokenSequence.FilesRead(path);
            OutputFiles.RequireApartFromInputs(mcPath, inputs);
            OutputFiles.RequireApartFromInputs(clozePath, inputs);
            var documents = TextData.ReadValidationDocuments(path);
            var (nextSentence, cloze) = TaskBuilder.Build(documents, r.GetValue(items), r.GetValue(seed));
            // An empty task file would evaluate to NaN accuracy: building nothing is an error, and an empty task is not written.
            string held = $"{path}: {documents.Count} held-out documents";
            if (nextSentence.Count == 0 && cloze.Count == 0)
                throw new InvalidDataException($"{held} give no task items (each task needs documents of several sentences; re-prepare with more --val-docs)");
            if (nextSentence.Count > 0) TaskBuilder.WriteMultipleChoice(mcPath, nextSentence);
            else Console.Error.WriteLine($"eslm: warning: {held} give no next-sentence items (they need documents of the same domain with several sentences); {mcPath} not written");
            if (cloze.Count > 0) TaskBuilder.WriteCloze(clozePath, cloze);
            else Console.Error.WriteLine($"eslm: warning: {held} give no cloze items (they need sentences whose last word occurs earlier); {clozePath} not written");
            Console.Error.WriteLine($"eslm tasks build: {documents.Count} held-out documents ({documents.Select(d => d.Domain).Distinct().Count()} domains) → " +
                                    $"{nextSentence.Count} next-sentence items, {cloze.Count} cloze items");
            if (nextSentence.Count > 0) Console.WriteLine(mcPath);
            if (cloze.Count > 0) Console.WriteLine(clozePath);
            return 0;
        }));
        var command = new Command("tasks", "Downstream task files.");
        command.Subcommands.Add(build);
        return command;
    }
}
