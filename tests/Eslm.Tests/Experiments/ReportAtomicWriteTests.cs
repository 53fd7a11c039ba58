using Eslm.Reporting;
using Eslm.Tests.Data;
using Xunit;

namespace Eslm.Tests.Experiments;

/// <summary>Issue 21, defect 9: every plot, report and summary appears under its final name only when complete.</summary>
public class ReportAtomicWriteTests : DataTestBase
{
    [Fact]
    public void Report_files_are_written_beside_their_final_name_and_renamed_so_a_full_disk_never_truncates_one()
    {
        if (!File.Exists("/dev/full")) return; // the full-disk device is Linux's
        string root = Path.Combine(Dir, "runs");
        OneRunExperiment.Run(root, "atomic");
        // Every output's final name points at a device that fails every write with ENOSPC: written in place, each would
        // fail (and on a real full disk stay truncated); written beside and renamed, each is replaced whole.
        var outputs = ExperimentReport.PlotFiles.Select(f => Path.Combine(root, ExperimentReport.PlotFolder, f))
            .Append(Path.Combine(root, ExperimentReport.ReportFile)).Append(Path.Combine(root, SummaryJson.FileName)).ToList();
        foreach (string path in outputs)
        {
            File.Delete(path);
            File.CreateSymbolicLink(path, "/dev/full");
        }
        ExperimentReport.Write(root);
        foreach (string path in outputs)
        {
            var info = new FileInfo(path);
            Assert.Null(info.LinkTarget);
            Assert.True(info.Length > 0, path);
        }
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(outputs[0])[..4]);
        Assert.Empty(Directory.GetFiles(root, ".*tmp-*", SearchOption.AllDirectories));
    }
}

/// <summary>`demo --publish` copies the report, summary and plots with <see cref="Eslm.IO.AtomicFile.Copy"/>.</summary>
public class AtomicCopyTests : DataTestBase
{
    [Fact]
    public void A_copy_replaces_its_destination_whole_where_a_copy_in_place_fails_half_written()
    {
        if (!File.Exists("/dev/full")) return; // the full-disk device is Linux's
        string source = Path.Combine(Dir, "report.md"), destination = Path.Combine(Dir, "published.md");
        File.WriteAllText(source, "# report\n");
        File.CreateSymbolicLink(destination, "/dev/full");
        Assert.ThrowsAny<IOException>(() => File.Copy(source, destination, overwrite: true)); // in place: the write fails
        Eslm.IO.AtomicFile.Copy(source, destination);
        Assert.Null(new FileInfo(destination).LinkTarget);
        Assert.Equal("# report\n", File.ReadAllText(destination));
        Assert.Empty(Directory.GetFiles(Dir, ".*tmp-*"));
    }
}
