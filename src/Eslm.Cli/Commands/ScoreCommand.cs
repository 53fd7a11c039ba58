using System.CommandLine;
using Eslm.Data;
using Eslm.Training;
using Eslm.IO;

namespace Eslm.Cli.Commands;

/// <summary>`eslm score`: Rho-1 reference losses for every token of a split, written once as a sidecar for `--reference-losses`.</summary>
public static class ScoreCommand
{
    public static Command Create()
    {
        var reference = new Option<string>("--reference") { Description = "Reference model (checkpoint or run directory, .safetensors, llm.c .bin)", Required = true };
        var data = new Option<string>("--data") { Description = "Dataset folder (or a single token file) to score", Required = true };
        var split = new Option<string>("--split") { Description = "Split of a dataset folder", DefaultValueFactory = _ => "train" };
        split.AcceptOnlyFromAmong("train", "val");
        var seq = new Option<int>("--seq", "-t") { Description = "Window length T (use the training T: aligned windows then match exactly); default: the reference's context", DefaultValueFactory = _ => 0 };
        var batch = new Option<int>("--batch", "-b") { Description = "Windows per forward", DefaultValueFactory = _ => 8 };
        var output = new Option<string?>("--out", "-o") { Description = "Output file (default: DATASET/SPLIT.reference-losses.bin)" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing output file" };
        var threads = new Option<int>("--threads") { Description = "Threads (0 = all cores)", DefaultValueFactory = _ => 0 };
        var command = new Command("score", "Rho-1: score every token of a dataset split with a reference model, once, into a sidecar file.");
        foreach (var o in new Option[] { reference, data, split, seq, batch, output, overwrite, threads }) command.Options.Add(o);
        command.SetAction(r => CliRunner.Run(() =>
        {
            CliRunner.ConfigureThreads(r.GetValue(threads));
            string dataPath = r.GetValue(data)!, splitName = r.GetValue(split)!;
            UnusedOptions.RefuseSplitOfFile(r, split, dataPath);
            if (r.GetValue(batch) < 1) throw new ArgumentException($"--batch must be >= 1 (got {r.GetValue(batch)})");
            string outPath = r.GetValue(output) ?? DefaultPath(dataPath, splitName);
            OutputFiles.RequireFolderName(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
            OutputFiles.RequireNew(outPath, r.GetValue(overwrite), "--overwrite");
            ModelLoader.CheckExists(r.GetValue(reference), "--reference");
            // The sidecar may sit in the dataset folder, never over a shard, the manifest or the reference's own files.
            OutputFiles.RequireApartFromInputs(outPath, [.. TokenSequence.FilesRead(dataPath), .. ModelLoader.FilesRead(r.GetValue(reference))]);
            // Issue 13: two scorings into one sidecar at once would interleave; the check above is repeated under the lock.
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
            var outputLock = RunLock.AcquireFile(outPath, m => Console.Error.WriteLine($"eslm: warning: {m}"));
            try
            {
                if (File.Exists(outPath) && !r.GetValue(overwrite)) throw new IOException($"{outPath}: already exists (pass --overwrite to replace it)");
                using var model = ModelLoader.Load(r.GetValue(reference)!);
                int T = ModelLoader.Window(r.GetValue(seq), model.Config);
                long count;
                using (var tokens = TokenSequence.Open(dataPath, splitName)) count = tokens.Count;
                var bar = new ProgressReporter("score", count, "tokens");
                var summary = ReferenceScorer.WriteSidecar(model, r.GetValue(reference)!, dataPath, splitName, T, r.GetValue(batch), outPath, done => bar.Report(done));
                bar.Report(count);
                Console.Error.WriteLine($"scored {summary.Tokens:N0} tokens in {summary.Seconds:F1} s ({summary.Flops / 1e9:F1} GFLOP, mean reference loss {summary.MeanLoss:F4})");
                Console.WriteLine(outPath);
            }
            finally
            {
                // No OUT.lock is left beside the sidecar (issue 21). It is removed while still held: a process that opened
                // it just before may then lock the removed file while a third locks a new one, but each re-checks the
                // output under its lock, and sidecars are written atomically, so at worst one complete sidecar replaces
                // another (with --overwrite); the run-folder locks keep their lock files for that reason (docs/cli-rules.md).
                try { File.Delete(RunLock.FileForFile(outPath)); } catch (IOException) { } catch (UnauthorizedAccessException) { }
                outputLock.Dispose();
            }
            return 0;
        }));
        return command;
    }

    public static string DefaultPath(string data, string split) =>
        Directory.Exists(data) ? Path.Combine(data, $"{split}.reference-losses.bin") : data + ".reference-losses.bin";
}
