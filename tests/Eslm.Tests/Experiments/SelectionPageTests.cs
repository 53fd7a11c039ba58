using System.Text.Json.Nodes;
using Eslm.Experiments;
using Eslm.Reporting;
using Eslm.Selection;
using Eslm.Tests.Training;
using Xunit;
using Eslm.Evaluation;

namespace Eslm.Tests.Experiments;

public class SelectionPageTests
{
    [Fact]
    public void The_selection_page_keeps_what_the_strategy_keeps_and_marks_every_token()
    {
        using var model = TrainerHarness.NewModel();
        var selector = StrategyRegistry.Create(new SelectionOptions { Strategy = "eslm", Alpha = 0.5 });
        var tokens = Enumerable.Range(0, 40).Select(i => i * 7 % 100 + 1).ToArray(); // 39 predictions over 3 windows of 16
        var text = Eslm.Training.TextSelection.Score(model, selector, tokens);
        var scored = SelectionPage.Tokens(tokens, text.Scores, text.Losses, text.Entropies, text.Kept, t => [(byte)('a' + t % 26)]);
        Assert.Equal(39, scored.Count);
        float threshold = ValueAtRisk.Threshold(scored.Select(s => s.Score).ToArray(), 0.5, new float[39]);
        Assert.All(scored, s => Assert.Equal(s.Score >= threshold, s.Kept));
        Assert.All(scored, s => Assert.Equal(s.Loss, s.Score)); // loss scores
        string html = SelectionPage.Html(scored, "t", "d");
        Assert.Equal(scored.Count(s => s.Kept), html.Split("class=\"t k\"").Length - 1);
        Assert.Equal(scored.Count(s => !s.Kept), html.Split("class=\"t d\"").Length - 1);
    }

    [Fact]
    public void Experiment_files_with_unknown_keys_or_missing_references_are_rejected_with_the_key_named()
    {
        JsonObject Spec(string arms, string extra = "") => (JsonObject)JsonNode.Parse($$"""
            {"name": "x", "model": "tiny", "data": "d", "budget": {"steps": 2}, "arms": [{{arms}}] {{extra}} }
            """)!;
        Assert.Contains("alpah", Assert.Throws<ArgumentException>(() => ExperimentSpec.Parse(Spec("""{"name": "a", "strategy": "eslm", "alpah": 0.3}"""))).Message);
        Assert.Contains("@reference", Assert.Throws<ArgumentException>(() => ExperimentSpec.Parse(Spec("""{"strategy": "rho1", "reference": "@reference"}"""))).Message);
        Assert.Contains("budget", Assert.Throws<ArgumentException>(() => ExperimentSpec.Parse(Spec("""{"strategy": "clm"}""", """, "budget2": 1"""))).Message);
        var ok = ExperimentSpec.Parse(Spec("""{"strategy": "eslm", "score": "entropy", "selection_scope": "sequence", "train": {"lr": 0.01}}"""));
        Assert.Equal(ScoreKind.Entropy, ok.Arms[0].Selection.Score);
        Assert.Equal(SelectionScope.Sequence, ok.Arms[0].Selection.Scope);
        Assert.Equal(0.01f, ok.Arms[0].Train.LearningRate);
        Assert.Equal(2, ok.Arms[0].Train.Steps);
    }
}
