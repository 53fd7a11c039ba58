using System.Text.Json.Nodes;
using Eslm.Checkpoints;
using Xunit;

namespace Eslm.Tests.Checkpoints;

/// <summary>
/// sample/eval on a run that is still training with --keep-last 1: the checkpoint chosen may be rotated away while it loads;
/// the load then takes the newest complete one (issue 21, defect 12).
/// </summary>
public class RotationDuringLoadTests
{
    [Fact]
    public void A_checkpoint_rotated_away_while_loading_is_replaced_by_the_newest_complete_one()
    {
        using var dir = new TempDir();
        using var model = TestFiles.RandomModel();
        string run = dir["run"];
        Checkpoint.SaveStep(run, 1, model, null, null, new JsonObject { ["step"] = 1 }, keepLast: 1);
        var attempts = new List<long>();
        var (loaded, used) = Checkpoint.LoadNewestModel(run, (step, _) =>
        {
            attempts.Add(step);
            // The training process saves its next checkpoint and rotates the one just chosen away (keep-last 1).
            if (step == 1) Checkpoint.SaveStep(run, 2, model, null, null, new JsonObject { ["step"] = 2 }, keepLast: 1);
        });
        using (loaded)
        {
            Assert.Equal([1L, 2L], attempts);
            Assert.Equal(Checkpoint.DirectoryFor(run, 2), used);
            Assert.Equal(model.Parameters.All.ToArray(), loaded.Parameters.All.ToArray());
        }
    }

    [Fact]
    public void A_complete_checkpoint_that_fails_to_load_is_an_error_at_once()
    {
        using var dir = new TempDir();
        using var model = TestFiles.RandomModel();
        string run = dir["run"];
        string step = Checkpoint.SaveStep(run, 1, model, null, null, new JsonObject { ["step"] = 1 });
        int attempts = 0;
        // Same length, wrong header: still "complete" (lengths match), so retrying would not help.
        string weights = Directory.GetFiles(step, "*.safetensors")[0];
        var bytes = File.ReadAllBytes(weights);
        bytes[8] = (byte)'!';
        File.WriteAllBytes(weights, bytes);
        Assert.ThrowsAny<Exception>(() => Checkpoint.LoadNewestModel(run, (_, _) => attempts++));
        Assert.Equal(1, attempts);
    }
}
