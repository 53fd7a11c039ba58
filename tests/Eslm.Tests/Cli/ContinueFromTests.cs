using System.Text.Json.Nodes;
using Eslm.Checkpoints;
using Eslm.Data;
using Eslm.Tests.Checkpoints;
using Eslm.Tests.Reference;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>
/// `train --continue-from`: a run that branches from another's checkpoint (weights, AdamW moments, data position) with
/// its own steps and schedule. At a constant rate, 3 steps and a branch of 3 are 6 steps bit for bit.
/// </summary>
public sealed class ContinueFromTests : IDisposable
{
    private readonly TempDir _dir = new();

    public ContinueFromTests()
    {
        Blas.Ensure();
        TokenShard.Write(_dir["train.bin"], Enumerable.Range(0, 3000).Select(i => (ushort)(i * 7919 % 101)).ToArray());
    }

    /// <summary>A constant rate (no warmup, a cosine floor of 1), so a split run sees the same rates as a whole one.</summary>
    private (int Code, string Out, string Err) Train(string output, int steps, params string[] extra) =>
        CliHarness.Run(["train", "--data", _dir["train.bin"], "--model", "tiny", "--vocab", "101", "--channels", "32", "--batch", "2", "--seq", "16",
            "--steps", $"{steps}", "--warmup", "0", "--min-lr-fraction", "1", "--sampling", "shuffled", "--seed", "3",
            "--val-batches", "0", "--threads", "1", "--out", output, .. extra]);

    private float[] Weights(string run)
    {
        using var model = Checkpoint.LoadModel(Checkpoint.FindLatestComplete(run)!);
        return model.Parameters.All.ToArray();
    }

    private JsonNode Options(string run) => JsonNode.Parse(File.ReadAllText(Path.Combine(run, "run.json")))!["options"]!;

    [Fact]
    public void Three_steps_and_a_branch_of_three_are_six_steps_and_the_branch_records_its_source()
    {
        Assert.Equal(0, Train(_dir["whole"], 6).Code);
        Assert.Equal(0, Train(_dir["base"], 3).Code);
        var r = Train(_dir["branch"], 3, "--continue-from", _dir["base"]);
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(Weights(_dir["whole"]), Weights(_dir["branch"]));
        Assert.Equal(Path.Combine(_dir["base"], "step-00000003"), (string)Options(_dir["branch"])["continue_from"]!);
        Assert.False(Options(_dir["whole"]).AsObject().ContainsKey("continue_from")); // only a branch has the key
        Assert.True(Directory.Exists(Path.Combine(_dir["branch"], "step-00000003"))); // its own steps, from 0

        // --resume keeps the recorded source; naming it again is fine, naming another is refused
        Assert.Equal(0, CliHarness.Run("train", "--resume", "--out", _dir["branch"], "--continue-from", _dir["base"]).Code);
        CliHarness.AssertOneLineError(CliHarness.Run("train", "--resume", "--out", _dir["branch"], "--continue-from", _dir["whole"]), 2,
            "--continue-from", "continues from its own checkpoint");
        // --config run.json repeats the branch (its model comes from the source, as for --init-from)
        var again = CliHarness.Run("train", "--config", Path.Combine(_dir["branch"], "run.json"), "--out", _dir["again"]);
        Assert.True(again.Code == 0, again.Err);
        Assert.Equal(Weights(_dir["branch"]), Weights(_dir["again"]));
    }

    [Fact]
    public void A_branch_that_would_cut_other_windows_is_refused_before_any_folder_is_made()
    {
        Assert.Equal(0, Train(_dir["base"], 2).Code);
        foreach (var (flag, value) in new[] { ("--seq", "8"), ("--sampling", "sequential"), ("--batch", "1") })
        {
            var r = Train(_dir["branch"], 2, "--continue-from", _dir["base"], flag, value);
            CliHarness.AssertOneLineError(r, 2, "--continue-from", "A branch reads on where its run stopped, so it needs the same");
            Assert.False(Directory.Exists(_dir["branch"]));
        }
    }

    [Fact]
    public void A_data_mixture_given_with_relative_paths_matches_its_recorded_absolute_parts()
    {
        TokenShard.Write(_dir["other.bin"], Enumerable.Range(0, 3000).Select(i => (ushort)(i * 31 % 101)).ToArray());
        string mixture = $"{_dir["train.bin"]}@0.5,{_dir["other.bin"]}@0.5";
        var r = CliHarness.Run(["train", "--data", mixture, "--model", "tiny", "--vocab", "101", "--channels", "32", "--batch", "2", "--seq", "16",
            "--steps", "2", "--val-batches", "0", "--threads", "1", "--out", _dir["base"]]);
        Assert.True(r.Code == 0, r.Err);
        string Relative(string path) => Path.GetRelativePath(Directory.GetCurrentDirectory(), path);
        var train = new Eslm.Training.TrainOptions { BatchSize = 2, SequenceLength = 16 };
        // each part of the mixture is located on its own, as run.json recorded them (not the whole text as one path)
        Eslm.Training.BranchPoint.RequireSameWindows(Eslm.Training.BranchPoint.Checkpoint(_dir["base"]),
            $"{Relative(_dir["train.bin"])}@0.5,{Relative(_dir["other.bin"])}@0.5", train);
        Assert.Throws<ArgumentException>(() => Eslm.Training.BranchPoint.RequireSameWindows(Eslm.Training.BranchPoint.Checkpoint(_dir["base"]),
            $"{Relative(_dir["train.bin"])}@0.5,{Relative(_dir["other.bin"])}@0.25", train));
    }

    [Fact]
    public void Bad_sources_are_one_line_errors()
    {
        Assert.Equal(0, Train(_dir["base"], 2).Code);
        CliHarness.AssertOneLineError(Train(_dir["b1"], 2, "--continue-from", _dir["base"], "--init-from", _dir["base"]), 2, "exclude each other");
        CliHarness.AssertOneLineError(Train(_dir["b2"], 2, "--continue-from", _dir["nothing"]), 1, _dir["nothing"], "not found");
        string weights = Path.Combine(_dir["base"], "step-00000002", "model.safetensors");
        CliHarness.AssertOneLineError(Train(_dir["b3"], 2, "--continue-from", weights), 1, weights, "--init-from");
        Directory.CreateDirectory(_dir["empty"]);
        CliHarness.AssertOneLineError(Train(_dir["b4"], 2, "--continue-from", _dir["empty"]), 1, _dir["empty"], "no complete checkpoint");
    }

    public void Dispose() => _dir.Dispose();
}
