using System.Text.Json.Nodes;
using Eslm.Data;
using Eslm.Tests.Checkpoints;
using Eslm.Tests.Reference;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>Issue 13 item 15: `train --init-from` takes the architecture from its source, which may be any model source.</summary>
public sealed class InitFromTests : IDisposable
{
    private readonly TempDir _dir = new();

    public InitFromTests()
    {
        Blas.Ensure();
        TokenShard.Write(_dir["train.bin"], Enumerable.Range(0, 3000).Select(i => (ushort)(i * 7919 % 101)).ToArray());
    }

    private (int Code, string Out, string Err) Train(string output, params string[] extra) =>
        CliHarness.Run(["train", "--data", _dir["train.bin"], "--batch", "2", "--seq", "16", "--steps", "2", "--warmup", "1",
            "--val-batches", "0", "--threads", "1", "--out", output, .. extra]);

    private string Source()
    {
        var r = Train(_dir["source"], "--model", "tiny", "--vocab", "101", "--channels", "32");
        Assert.Equal(0, r.Code);
        return _dir["source"];
    }

    private JsonNode Model(string run) => JsonNode.Parse(File.ReadAllText(Path.Combine(run, "run.json")))!["model"]!;

    [Fact]
    public void Init_from_a_run_folder_takes_its_architecture_without_model_options()
    {
        string source = Source();
        var r = Train(_dir["from-run"], "--init-from", source);
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(32, (int)Model(_dir["from-run"])["channels"]!);
        Assert.Equal(101, (int)Model(_dir["from-run"])["vocab_size"]!);
    }

    [Fact]
    public void Init_from_a_safetensors_file_of_a_step_folder_works_too()
    {
        string weights = Path.Combine(Directory.GetDirectories(Source(), "step-*").Single(), "model.safetensors");
        var r = Train(_dir["from-file"], "--init-from", weights);
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(2, (int)Model(_dir["from-file"])["layers"]!);
    }

    [Fact]
    public void An_override_that_changes_the_shape_is_an_error_naming_the_source()
    {
        string source = Source();
        CliHarness.AssertOneLineError(Train(_dir["bad"], "--init-from", source, "--channels", "64"), 2, source, "differs from the one to train");
    }

    public void Dispose() => _dir.Dispose();
}
