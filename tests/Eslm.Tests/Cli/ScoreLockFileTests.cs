using Eslm.Tests.Data;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>`eslm score` holds FILE.lock while it writes, and leaves none beside its output (issue 21).</summary>
public class ScoreLockFileTests : DataTestBase
{
    [Fact]
    public void Score_leaves_no_lock_file_after_success()
    {
        string data = Path.Combine(Dir, "data");
        Prepare(data, [JsonlCorpus("c.jsonl", 20)]);
        string sidecar = Path.Combine(Dir, "out", "s.bin");
        var r = CliHarness.Run("score", "--reference", "preset:tiny", "--data", data, "--seq", "16", "--out", sidecar, "--threads", "1");
        Assert.True(r.Code == 0, r.Err);
        Assert.True(File.Exists(sidecar));
        Assert.Equal(["s.bin"], Directory.GetFiles(Path.GetDirectoryName(sidecar)!).Select(Path.GetFileName));
    }
}
