using Eslm.Data;
using Eslm.IO;
using Xunit;

namespace Eslm.Tests.Data;

/// <summary>Issue 21, defect 3: two prepares into one output never both succeed, and neither replaces the other's dataset.</summary>
public class PrepareOutputLockTests : DataTestBase
{
    private string Out => Path.Combine(Dir, "out");

    [Fact]
    public void Prepare_into_an_output_another_process_is_preparing_is_refused_naming_its_pid()
    {
        string input = Write("a.txt", "some text");
        using (RunLock.AcquireFolder(Out))
        {
            var e = Assert.Throws<IOException>(() => Prepare(Out, [input], o => o with { ValFraction = 0 }));
            Assert.Contains($"in use by process {Environment.ProcessId}", e.Message);
            Assert.False(Dataset.LooksLikeDataset(Out));
        }
        Prepare(Out, [input], o => o with { ValFraction = 0 }); // free again; the lock left no obstacle behind
        Assert.True(Dataset.LooksLikeDataset(Out));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_dataset_that_appears_in_the_output_meanwhile_is_kept_and_the_prepare_fails(bool overwrite)
    {
        string input = Write("a.txt", "some text");
        // Another writer (one that ignores the lock) fills the output while this prepare is tokenizing.
        var e = Assert.Throws<IOException>(() => CorpusPreparer.Prepare(
            new PrepareOptions { Inputs = DocumentReader.Expand([input]), OutputDirectory = Out, ShardTokens = 1024, ValFraction = 0, Overwrite = overwrite },
            p => { if (p.Phase == "read" && !File.Exists(Path.Combine(Out, "manifest.json"))) File.WriteAllText(Path.Combine(Out, "manifest.json"), "theirs"); }));
        Assert.Contains("another process", e.Message);
        Assert.Equal("theirs", File.ReadAllText(Path.Combine(Out, "manifest.json")));
        Assert.Empty(Directory.GetDirectories(Dir, ".out.*"));
    }

    [Fact]
    public void A_failed_prepare_into_a_new_folder_leaves_no_folder_and_a_successful_one_releases_its_lock()
    {
        Assert.Throws<InvalidDataException>(() => Prepare(Out, [Write("empty.txt", " ")]));
        Assert.False(Directory.Exists(Out));
        Prepare(Out, [Write("a.txt", "some text")], o => o with { ValFraction = 0 });
        Assert.False(File.Exists(RunLock.FileForFolder(Out) + ".owner"));
        using (RunLock.AcquireFolder(Out)) { }
        Prepare(Out, [Write("b.txt", "other text")], o => o with { ValFraction = 0, Overwrite = true });
        Assert.False(File.Exists(RunLock.FileForFolder(Out) + ".owner"));
    }
}
