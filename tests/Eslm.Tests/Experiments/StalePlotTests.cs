using Eslm.Reporting;
using Eslm.Tests.Data;
using Xunit;

namespace Eslm.Tests.Experiments;

/// <summary>
/// A rebuilt report's plots/ holds the plots it shows: what an earlier build wrote (its list, plots/.report-plots) and
/// this one does not goes; a user's own files stay, even when named like one of the writer's.
/// </summary>
public class StalePlotTests : DataTestBase
{
    private static string Manifest(string plots) => Path.Combine(plots, StalePlots.ManifestFile);

    private static void Plant(string plots, IEnumerable<string> files)
    {
        foreach (string f in files) File.WriteAllText(Path.Combine(plots, f), "x");
    }

    [Fact]
    public void A_build_lists_the_plots_it_wrote_and_its_report_shows()
    {
        string root = Path.Combine(Dir, "runs");
        OneRunExperiment.Run(root, "listed");
        string plots = Path.Combine(root, ExperimentReport.PlotFolder);

        string md = File.ReadAllText(Path.Combine(root, ExperimentReport.ReportFile));

        Assert.Equal(ExperimentReport.PlotFiles.Order(StringComparer.Ordinal), File.ReadAllLines(Manifest(plots)));
        foreach (string f in ExperimentReport.PlotFiles)
        {
            Assert.True(File.Exists(Path.Combine(plots, f)), f);
            Assert.Contains($"{ExperimentReport.PlotFolder}/{f}", md);
        }
    }

    [Fact]
    public void A_rebuild_removes_what_the_last_build_listed_and_no_longer_writes_and_keeps_every_other_file()
    {
        string root = Path.Combine(Dir, "runs");
        OneRunExperiment.Run(root, "stale");
        string plots = Path.Combine(root, ExperimentReport.PlotFolder);
        // What a grid build of this folder would have written and listed (model-prefixed curves, a trend, a multiplier plot)…
        string[] stale = ["tiny_alpha.png", "trend_tiny_noisy_budget.png", "multiplier_tiny.png"];
        // …and a user's files, two of them named the way the writer names its plots.
        string[] mine = ["figure1.png", "notes.txt", "my_alpha.png", "trend_mine.png"];
        Plant(plots, stale.Concat(mine));
        File.WriteAllLines(Manifest(plots), stale.Concat(ExperimentReport.PlotFiles));

        ExperimentReport.Write(root);

        foreach (string f in stale) Assert.False(File.Exists(Path.Combine(plots, f)), f);
        foreach (string f in mine.Concat(ExperimentReport.PlotFiles)) Assert.True(File.Exists(Path.Combine(plots, f)), f);
        Assert.Equal(ExperimentReport.PlotFiles.Order(StringComparer.Ordinal), File.ReadAllLines(Manifest(plots)));
    }

    [Fact]
    public void A_folder_built_before_the_list_existed_loses_only_the_unprefixed_curves_this_build_does_not_write()
    {
        string root = Path.Combine(Dir, "runs");
        OneRunExperiment.Run(root, "legacy");
        string plots = Path.Combine(root, ExperimentReport.PlotFolder);
        File.Delete(Manifest(plots));
        string[] others = ["tiny_alpha.png", "trend_tiny_noisy_budget.png", "figure1.png"];
        Plant(plots, others);

        StalePlots.Remove(plots, ["tiny_alpha.png"]); // what a grid build of one model would write (in part)

        foreach (string f in ExperimentReport.PlotFiles) Assert.False(File.Exists(Path.Combine(plots, f)), f);
        foreach (string f in others) Assert.True(File.Exists(Path.Combine(plots, f)), f);
        Assert.Equal(["tiny_alpha.png"], File.ReadAllLines(Manifest(plots)));
    }

    [Fact]
    public void A_hand_edited_list_cannot_remove_files_outside_plots_or_other_than_png()
    {
        string root = Path.Combine(Dir, "runs");
        OneRunExperiment.Run(root, "edited");
        string plots = Path.Combine(root, ExperimentReport.PlotFolder);
        File.WriteAllText(Path.Combine(root, "outside.png"), "x");
        Plant(plots, ["notes.txt"]);
        File.WriteAllLines(Manifest(plots), ["../outside.png", "notes.txt", "", .. ExperimentReport.PlotFiles]);

        ExperimentReport.Write(root);

        Assert.True(File.Exists(Path.Combine(root, "outside.png")));
        Assert.True(File.Exists(Path.Combine(plots, "notes.txt")));
    }
}
