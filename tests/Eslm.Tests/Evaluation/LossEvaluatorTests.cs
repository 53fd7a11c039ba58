using System.Text.Json.Nodes;
using Eslm.Evaluation;
using Eslm.Tensors;
using Eslm.Tests.Training;
using Eslm.Training;
using Xunit;
using Eslm.Data;

namespace Eslm.Tests.Evaluation;

public class LossEvaluatorTests
{
    private static int[] Stream(int length, ulong seed)
    {
        var rng = new Rng(seed);
        return Enumerable.Range(0, length).Select(_ => rng.NextInt(TrainerHarness.Tiny.VocabSize)).ToArray();
    }

    /// <summary>Yields the evaluator's windows: inputs x[iT..iT+T), targets x[iT+1..iT+T], B per batch.</summary>
    private sealed class WindowSource(int[] tokens, int batch, int T) : IBatchSource
    {
        private int _window;
        public int BatchSize => batch;
        public int SequenceLength => T;
        public void NextBatch(Span<int> inputs, Span<int> targets)
        {
            for (int b = 0; b < batch; b++, _window++)
                for (int t = 0; t < T; t++)
                {
                    inputs[b * T + t] = tokens[_window * T + t];
                    targets[b * T + t] = tokens[_window * T + t + 1];
                }
        }
        public JsonObject SaveState() => new() { ["window"] = _window };
        public void RestoreState(JsonObject state) => _window = (int)state["window"]!;
    }

    [Fact]
    public void Eval_loss_equals_the_training_forwards_all_token_loss_on_the_same_batch()
    {
        const int B = 4, T = 16;
        var tokens = Stream(B * T + 1, 3);
        using var model = TrainerHarness.NewModel();
        var report = LossEvaluator.Evaluate(model, new EvalCorpus("s", tokens), B, T);

        using var trainModel = TrainerHarness.NewModel();
        using var trainer = new Trainer(trainModel, TrainerHarness.Options(B, 1, 1), new WindowSource(tokens, B, T));
        var step = trainer.Step();
        Assert.Equal(B * T, report.Tokens);
        Assert.Equal(step.Loss, report.Loss, 1e-6);
        Assert.Equal(step.Selection.LossAll, report.Loss, 1e-9);
    }

    [Fact]
    public void Loss_does_not_depend_on_the_batch_size_and_covers_every_token_of_the_split()
    {
        var tokens = Stream(16 * 7 + 5, 4); // a ragged last window
        using var model = TrainerHarness.NewModel();
        var one = LossEvaluator.Evaluate(model, new EvalCorpus("s", tokens), 1, 16);
        var three = LossEvaluator.Evaluate(model, new EvalCorpus("s", tokens), 3, 16);
        Assert.Equal(tokens.Length - 1, one.Tokens);
        Assert.Equal(one.Loss, three.Loss, 1e-6);
        var limited = LossEvaluator.Evaluate(model, new EvalCorpus("s", tokens), 3, 16, maxTokens: 20);
        Assert.Equal(20, limited.Tokens);
    }

    [Fact]
    public void Domain_losses_bits_per_byte_and_document_cvar_follow_the_document_index()
    {
        const int T = 16;
        var tokens = Stream(T + 1, 5);
        // Documents: [0,5) news, [5,9) mail, [9,17) news.
        var docs = new List<EvalDocument> { new(0, 5, "news", 20), new(5, 4, "mail", 10), new(9, 8, "news", 30) };
        using var model = TrainerHarness.NewModel();
        var report = LossEvaluator.Evaluate(model, new EvalCorpus("s", tokens, docs), 2, T);

        model.Forward(tokens.AsSpan(0, T), tokens.AsSpan(1, T), 1, T);
        var losses = model.Losses.ToArray(); // losses[i] predicts token i+1
        double Mean(int from, int to) => Enumerable.Range(from, to - from).Average(p => (double)losses[p - 1]);
        double doc0 = Mean(1, 5), doc1 = Mean(5, 9), doc2 = Mean(9, 17);
        double news = (Enumerable.Range(1, 4).Sum(p => (double)losses[p - 1]) + Enumerable.Range(9, 8).Sum(p => (double)losses[p - 1])) / 12;
        Assert.Equal(news, report.Domains.Single(d => d.Domain == "news").Loss, 1e-5);
        Assert.Equal(doc1, report.Domains.Single(d => d.Domain == "mail").Loss, 1e-5);
        Assert.Equal(Math.Max(news, doc1), report.WorstDomainLoss, 1e-5);
        Assert.Equal(new[] { doc0, doc1, doc2 }.Max(), report.DocumentCvar90, 1e-5); // 3 documents: the worst one
        double bytes = 20 * 1.0 + 10 + 30; // the first document's 4 of 4 predictable tokens
        Assert.Equal(losses.Sum(l => (double)l) / Math.Log(2) / bytes, report.BitsPerByte, 1e-5);
    }
}
