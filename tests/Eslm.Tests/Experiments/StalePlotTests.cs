using Eslm.Reporting;
using Eslm.Tests.Data;
using Xunit;

namespace Eslm.Tests.Experiments;

/// <summary>A rebuilt report's plots/ holds the plots it shows: an earlier build's leftovers go, a user's own files stay.</summary>
public class StalePlotTests : DataTestBase
{
    [Theory]
    [InlineData("alpha.png", true)]
    [InlineData("d6_val_loss_vs_flops.png", true)]
    [InlineData("trend_d6_mix_budget.png", true)]
    [InlineData("multiplier_d6.png", true)]
    [InlineData("my_alpha.png.bak", false)]
    [InlineData("figure1.png", false)]
    [InlineData("alphabet.png", false)]
    public void Only_names_the_report_writer_gives_count_as_report_plots(string name, bool expected) =>
        Assert.Equal(expected, StalePlots.IsReportPlot(name));

    [Fact]
    public void A_rebuild_removes_plots_an_earlier_build_wrote_and_keeps_the_rest()
    {
        string root = Path.Combine(Dir, "runs");
        OneRunExperiment.Run(root, "stale");
        string plots = Path.Combine(root, ExperimentReport.PlotFolder);
        // What a grid build of this folder would have left (model-prefixed curves, trends, a multiplier plot), and a user's files.
        string[] stale = ["tiny_alpha.png", "trend_tiny_noisy_budget.png", "multiplier_tiny.png"];
        string[] mine = ["figure1.png", "notes.txt"];
        foreach (string f in stale.Concat(mine)) File.WriteAllText(Path.Combine(plots, f), "x");

        string md = File.ReadAllText(ExperimentReport.Write(root));

        foreach (string f in stale) Assert.False(File.Exists(Path.Combine(plots, f)), f);
        foreach (string f in mine) Assert.True(File.Exists(Path.Combine(plots, f)), f);
        foreach (string f in ExperimentReport.PlotFiles)
        {
            Assert.True(File.Exists(Path.Combine(plots, f)), f);
            Assert.Contains($"{ExperimentReport.PlotFolder}/{f}", md);
        }
    }
}
