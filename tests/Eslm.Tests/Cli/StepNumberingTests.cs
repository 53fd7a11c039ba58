using System.Text.Json.Nodes;
using Eslm.Tests.Checkpoints;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>The one step-numbering convention, as docs/formats.md states it (issue 13, item 24).</summary>
public class StepNumberingTests
{
    [Fact]
    public void Train_lines_count_from_0_and_validation_lines_and_checkpoints_count_completed_steps()
    {
        using var dir = new TempDir();
        var r = CliHarness.Run("train", "--model", "tiny", "--data", "random:50257", "--out", dir["run"], "--batch", "1", "--seq", "8", "--steps", "3",
            "--warmup", "0", "--val-every", "1", "--val-batches", "1", "--checkpoint-every", "1", "--keep-last", "5", "--threads", "1");
        Assert.True(r.Code == 0, r.Err);
        var lines = File.ReadAllLines(Path.Combine(dir["run"], "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal([0, 1, 2], lines.Where(l => (string)l["type"]! == "train").Select(l => (int)l["step"]!));
        Assert.Equal([1, 2, 3], lines.Where(l => (string)l["type"]! == "val").Select(l => (int)l["step"]!));
        Assert.Equal(["step-00000001", "step-00000002", "step-00000003"], Directory.GetDirectories(dir["run"], "step-*").Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Formats_doc_states_the_convention()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Eslm.slnx"))) root = root.Parent;
        string doc = File.ReadAllText(Path.Combine(root!.FullName, "docs", "formats.md"));
        Assert.Contains("0-based index of the step just taken", doc);
        Assert.Contains("number of steps\n  completed", doc);
    }
}
