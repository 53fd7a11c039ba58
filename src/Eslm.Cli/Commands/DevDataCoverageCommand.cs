using System.CommandLine;
using System.Globalization;
using Eslm.Data;
using Eslm.Experiments;
using Eslm.Records;
using Eslm.Training;

namespace Eslm.Cli.Commands;

/// <summary>
/// Hidden study helper (<c>eslm dev-data-coverage RUN_DIR…</c>): replays each finished or partial run's data order from its
/// run.json (data, batch, seq, seed, sampling, grad_accum) for as many steps as its metrics log (or <c>--steps N</c>), and prints how many
/// tokens it read, over how many epochs of the split, and how many of those reads repeated a token an earlier window
/// already predicted (<see cref="WindowCoverage"/>). This is how docs/study-d6 states, measured, how often its randomly
/// drawn windows overlapped.
/// </summary>
public static class DevDataCoverageCommand
{
    public static Command Create()
    {
        var runs = new Argument<string[]>("runs") { Description = "Run folders (each with run.json and metrics.jsonl or metrics.jsonl.gz)", Arity = ArgumentArity.OneOrMore };
        var data = new Option<string?>("--data") { Description = "Read this dataset instead of the path in run.json (a run trained on another machine)" };
        var steps = new Option<int?>("--steps") { Description = "Replay this many steps instead of the logged ones (what a longer run of the same data order would read)" };
        var command = new Command("dev-data-coverage", "Study helper: replays runs' data order and measures how often their windows overlapped.") { runs, data, steps };
        command.Hidden = true;
        command.SetAction(parse => CliRunner.Run(() =>
        {
            if (parse.GetValue(steps) is < 0) throw new ArgumentException($"--steps must be >= 0 (got {parse.GetValue(steps)})");
            foreach (string run in parse.GetValue(runs)!) Console.WriteLine(Describe(run, parse.GetValue(data), parse.GetValue(steps)));
            return 0;
        }));
        return command;
    }

    private static string Describe(string run, string? dataOverride, int? stepsOverride)
    {
        string runJson = Path.Combine(run, RunRecord.FileName);
        if (!File.Exists(runJson)) throw new FileNotFoundException($"{runJson}: not found (not a run folder)");
        var record = RunRecord.Read(runJson); // typed and strict: a wrong key or type is one line naming the file
        var train = record.Train;
        string data = dataOverride ?? record.Data ?? throw new InvalidDataException($"{runJson}: options.data is null (give --data)");
        int steps = stepsOverride ?? LoggedSteps(run);
        if (DataSources.OpenTrain(data, train.BatchSize, train.SequenceLength, train.Seed, train.Sampling) is not DataLoader loader)
            throw new ArgumentException($"{data}: not token data (random tokens have no positions to replay)");
        using (loader)
        {
            var c = WindowCoverage.Replay(loader, (long)steps * train.GradientAccumulation);
            return string.Create(CultureInfo.InvariantCulture,
                $"{run}: {steps:N0} steps × {train.GradientAccumulation} × {train.BatchSize} × {train.SequenceLength}: {c.TokensRead:N0} tokens read of {c.SplitTokens:N0} " +
                $"({c.Epochs:F3} epochs, {EnumNames.Name(train.Sampling)} windows); " +
                $"{c.DistinctTokens:N0} distinct: {100 * c.RepeatFraction:F2}% of reads repeat a token an earlier window read");
        }
    }

    private static int LoggedSteps(string run)
    {
        string metrics = CommittedRuns.MetricsFile(run) ?? throw new FileNotFoundException($"{run}: no metrics.jsonl or metrics.jsonl.gz");
        return MetricsLine.ReadFile(metrics).OfType<TrainMetrics>().Select(m => m.Step + 1).DefaultIfEmpty(0).Max();
    }
}
