using System.Text.Json.Nodes;
using Eslm.Evaluation;
using Eslm.Model;
using Eslm.Tests.Training;
using Xunit;

namespace Eslm.Tests.Evaluation;

public class DownstreamTaskTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("eslm-tasks-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void Acc_sums_log_likelihood_and_acc_norm_divides_by_the_endings_characters()
    {
        // Item 1: the short wrong ending has the higher sum (-4 vs -10) but the lower per-character score
        // (-4/len("a") = -4 vs -10/len("bbbbbbbbb") = -1.1): acc misses it, acc_norm gets it.
        // Item 2: both metrics pick ending 0, which is right.
        var items = new List<MultipleChoiceItem>
        {
            new("ctx", ["a", "bbbbbbbbb"], 1),
            new("ctx", ["right one", "wrong"], 0),
        };
        var ll = new List<double[]> { new[] { -4.0, -10.0 }, new[] { -3.0, -6.0 } };
        var r = DownstreamTasks.Decide(items, ll);
        Assert.Equal(0.5, r.Accuracy);
        Assert.Equal(1.0, r.AccuracyNormalized);
    }

    [Fact]
    public void Acc_norm_divides_by_the_endings_characters_without_the_delimiting_space_as_lm_eval()
    {
        // lm-eval's acc_norm is argmax(ll / len(choice)), choice being the ending without the " " it is scored after.
        // Here that picks ending 1 (-4.2/4 = -1.05 < -11/11 = -1.0); dividing by len(" " + ending) instead would pick
        // ending 0 (-4.2/5 = -0.84 > -11/12 = -0.92).
        var items = new List<MultipleChoiceItem> { new("ctx", ["aaaa", "bbbbbbbbbbb"], 1) };
        var r = DownstreamTasks.Decide(items, [new[] { -4.2, -11.0 }]);
        Assert.Equal(0.0, r.Accuracy);
        Assert.Equal(1.0, r.AccuracyNormalized);
    }

    private static int[] Encode(string text) => text.Select(c => c % 100 + 1).ToArray();

    [Fact]
    public void Continuation_scores_equal_summed_forward_losses_whatever_the_batch_size()
    {
        using var model = TrainerHarness.NewModel();
        var requests = new List<ContinuationRequest>
        {
            new(Encode("the cat sat"), Encode(" on")), new(Encode("x"), Encode(" yz w")), new(Encode("a much longer context here"), Encode(" end")),
        };
        var one = ContinuationScorer.Score(model, requests, 1);
        var many = ContinuationScorer.Score(model, requests, 8);
        for (int i = 0; i < requests.Count; i++)
        {
            Assert.Equal(one[i].LogLikelihood, many[i].LogLikelihood, 1e-4);
            Assert.Equal(one[i].Greedy, many[i].Greedy);
        }
        // Direct: forward the whole sequence and sum the continuation's losses.
        var s = requests[1].Context.Concat(requests[1].Continuation).ToArray();
        model.Forward(s.AsSpan(0, s.Length - 1), s.AsSpan(1), 1, s.Length - 1);
        double expected = -model.Losses[(requests[1].Context.Length - 1)..].ToArray().Sum(l => (double)l);
        Assert.Equal(expected, one[1].LogLikelihood, 1e-4);
        Assert.Equal(requests[1].Continuation.Length, one[1].Tokens);
    }

    [Fact]
    public void A_window_shorter_than_the_context_drops_the_oldest_context_tokens_as_the_training_window_would()
    {
        // The harness model's context is 16; a run trained at seq 8 never trained positions 8..15, so a task scores
        // its last 8 inputs (9 tokens): the same as the whole-context scorer on the context cut to its last 6 tokens.
        using var model = TrainerHarness.NewModel();
        int[] context = Encode("a context longer than the window"), continuation = Encode(" on");
        var windowed = ContinuationScorer.Score(model, [new(context, continuation)], 4, window: 8)[0];
        var cut = ContinuationScorer.Score(model, [new(context[^6..], continuation)], 4)[0];
        var whole = ContinuationScorer.Score(model, [new(context, continuation)], 4)[0];
        Assert.Equal(cut.LogLikelihood, windowed.LogLikelihood, 1e-5);
        Assert.Equal(cut.FirstTokenRank, windowed.FirstTokenRank);
        Assert.NotEqual(whole.LogLikelihood, windowed.LogLikelihood, 1e-3);
        Assert.Throws<ArgumentOutOfRangeException>(() => ContinuationScorer.Score(model, [new(context, continuation)], 4, window: 17));
        var tooLong = Assert.Throws<ArgumentException>(() => ContinuationScorer.Score(model, [new(context, Encode(" continuation"))], 4, window: 8));
        Assert.Contains("exceeds the window of 8", tooLong.Message);
    }

    [Fact]
    public void HellaSwag_files_with_ctx_a_ctx_b_and_string_labels_load()
    {
        string path = Path.Combine(_dir, "h.jsonl");
        File.WriteAllText(path, """
            {"ctx_a": "A man is sitting.", "ctx_b": "he plays", "endings": ["x", "y [title] z", "w", "v"], "label": "1"}
            {"ctx": "Plain context", "endings": ["a", "b", "c", "d"], "label": 3}
            """);
        var items = DownstreamTasks.LoadMultipleChoice(path);
        Assert.Equal("A man is sitting. He plays", items[0].Context);
        Assert.Equal("y. z", items[0].Endings[1]);
        Assert.Equal(1, items[0].Label);
        Assert.Equal(3, items[1].Label);
        File.WriteAllText(path, """{"ctx": "c", "endings": ["a"], "label": 0}""");
        Assert.Throws<InvalidDataException>(() => DownstreamTasks.LoadMultipleChoice(path));
    }

    [Theory]
    [InlineData("""{"ctx": "a", "endings": ["", ""], "label": 1}""", "ending 1 is empty")]
    [InlineData("""{"ctx": "a", "endings": ["b", " [title] "], "label": 0}""", "ending 2 is empty")]
    [InlineData("""{"ctx": "a", "endings": ["b", null], "label": 0}""", "ending 2 is not a string")]
    public void An_empty_hellaswag_ending_is_an_error_naming_the_file_and_line_as_an_empty_cloze_target_is(string item, string problem)
    {
        string path = Path.Combine(_dir, "h.jsonl");
        File.WriteAllText(path, """{"ctx": "ok", "endings": ["x", "y"], "label": 0}""" + "\n" + item + "\n");
        var e = Assert.Throws<InvalidDataException>(() => DownstreamTasks.LoadMultipleChoice(path));
        Assert.Equal($"{path}:2: {problem}", e.Message);
    }

    [Fact]
    public void A_task_file_that_is_not_utf8_is_an_error_naming_it_never_read_with_replacements()
    {
        string path = Path.Combine(_dir, "c.jsonl");
        byte[] line = System.Text.Encoding.UTF8.GetBytes("""{"context": "The cat sat on the", "target": " mat"}""" + "\r\n");
        File.WriteAllBytes(path, line);
        Assert.Single(DownstreamTasks.LoadCloze(path)); // CRLF line ends read as any other

        File.WriteAllBytes(path, [.. line[..20], 0xC3, 0x28, .. line[20..]]);
        var e = Assert.Throws<InvalidDataException>(() => DownstreamTasks.LoadCloze(path));
        Assert.Equal($"{path}: invalid UTF-8 at byte 20", e.Message);

        File.WriteAllBytes(path, [0xFF, 0xFE, .. System.Text.Encoding.Unicode.GetBytes("""{"context": "a", "target": "b"}""")]);
        Assert.StartsWith($"{path}: UTF-16 text", Assert.Throws<InvalidDataException>(() => DownstreamTasks.LoadCloze(path)).Message);
    }

    [Fact]
    public void Cloze_accuracy_is_one_when_greedy_decoding_reproduces_a_memorised_target()
    {
        using var model = TrainerHarness.NewModel();
        var item = new ClozeItem("abc", " d");
        var r = DownstreamTasks.EvaluateCloze(model, [item], Encode);
        var score = ContinuationScorer.Score(model, [new ContinuationRequest(Encode("abc"), Encode(" d"))], 1)[0];
        Assert.Equal(score.Greedy ? 1.0 : 0.0, r.Accuracy);
        Assert.Equal(Math.Exp(-score.LogLikelihood / score.Tokens), r.TargetPerplexity, 1e-6);
    }

    [Fact]
    public void CountGreater_counts_strictly_greater_values_in_the_vector_body_and_the_tail()
    {
        float[] values = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5]; // 8 in the vector body, 3 in the scalar tail
        Assert.Equal(5, ContinuationScorer.CountGreater(values, 4)); // 5, 9, 6, 5, 5
        Assert.Equal(2, ContinuationScorer.CountGreater(values, 5)); // ties at 5 do not count
        Assert.Equal(0, ContinuationScorer.CountGreater(values, 9));
        Assert.Equal(values.Length, ContinuationScorer.CountGreater(values, 0));
        var rng = new Random(3);
        var big = Enumerable.Range(0, 1003).Select(_ => (float)rng.Next(50)).ToArray();
        Assert.Equal(big.Count(v => v > 20), ContinuationScorer.CountGreater(big, 20));
    }

    /// <summary>The scorer's exp(x − max) row at a context's last position: one forward shaped as the scorer shapes it (B=1, T=16).</summary>
    private static float[] NextTokenRow(Gpt model, int[] context)
    {
        int T = ContinuationScorer.Bucket;
        var inputs = new int[T];
        context.CopyTo(inputs, 0);
        model.Forward(inputs, new int[T], 1, T);
        unsafe { return new ReadOnlySpan<float>(model.LogitsRow(context.Length - 1), model.Config.VocabSize).ToArray(); }
    }

    /// <summary>The logits at a context's last position, recomputed in double from the final LayerNorm and the tied head.</summary>
    private static double[] NextTokenLogits(Gpt model, int[] context)
    {
        NextTokenRow(model, context);
        int C = model.Config.C;
        var lnf = model.Activations.Span("lnf").Slice((context.Length - 1) * C, C).ToArray();
        var wte = model.Parameters.Span(ParameterLayout.Wte);
        var logits = new double[model.Config.VocabSize];
        for (int v = 0; v < logits.Length; v++)
            for (int c = 0; c < C; c++) logits[v] += (double)lnf[c] * wte[v * C + c];
        return logits;
    }

    [Fact]
    public void The_first_tokens_rank_is_one_for_the_argmax_and_counts_the_larger_logits_otherwise()
    {
        using var model = TrainerHarness.NewModel();
        var context = Encode("the cat sat on");
        var logits = NextTokenLogits(model, context);
        int argmax = Array.IndexOf(logits, logits.Max());
        // Every id as the continuation's first token (followed by one more token, which must not matter).
        var requests = Enumerable.Range(0, model.Config.VocabSize).Select(v => new ContinuationRequest(context, [v, 7])).ToList();
        var scores = ContinuationScorer.Score(model, requests, 8);
        Assert.Equal(1, scores[argmax].FirstTokenRank);
        for (int v = 0; v < logits.Length; v++)
            Assert.Equal(1 + logits.Count(x => x > logits[v]), scores[v].FirstTokenRank); // exact against the logits
        // Ranks are a permutation of 1..V when no two logits tie.
        Assert.Equal(Enumerable.Range(1, logits.Length), scores.Select(x => x.FirstTokenRank).Order());
    }

    /// <summary>Four contexts whose most likely next tokens are four different ids that <see cref="Encode"/> can produce.</summary>
    private static List<(string Context, float[] Row)> FourContexts(Gpt model)
    {
        var chosen = new List<(string, float[])>();
        var argmaxes = new HashSet<int>();
        foreach (var context in new[] { "abc", "hello", "xyz q", "the end", "mnop", "rstu v", "a b c", "zzz", "kite", "lamp" })
        {
            var row = NextTokenRow(model, Encode(context));
            int best = Array.IndexOf(row, row.Max());
            if (best == 0 || !argmaxes.Add(best)) continue; // id 0 is no character's token
            chosen.Add((context, row));
            if (chosen.Count == 4) break;
        }
        Assert.Equal(4, chosen.Count);
        return chosen;
    }

    /// <summary>The character <see cref="Encode"/> turns into token <paramref name="id"/> (1..100).</summary>
    private static string Char(int id) => ((char)(id - 1 + 100)).ToString();

    [Fact]
    public void Choice_accuracy_rank_and_log_prob_on_targets_that_are_the_models_best_or_worst_guess()
    {
        // Items 0-1: the target is the model's argmax next token; items 2-3: its least likely token among ids 1..100.
        // Single-token candidates: the argmax beats every other token, the least likely loses to every other one.
        using var model = TrainerHarness.NewModel();
        var contexts = FourContexts(model);
        var items = new List<ClozeItem>();
        var expectedRanks = new List<int>();
        double logProb = 0;
        for (int k = 0; k < 4; k++)
        {
            var (context, row) = contexts[k];
            var ids = Enumerable.Range(1, 100).ToArray();
            int target = k < 2 ? ids.MaxBy(v => row[v]) : ids.MinBy(v => row[v]);
            items.Add(new ClozeItem(context, Char(target)));
            expectedRanks.Add(1 + row.Count(x => x > row[target]));
            logProb += Math.Log(row[target] / row.Sum(x => (double)x));
        }
        Assert.Equal(4, items.Select(i => i.Target).Distinct().Count()); // worst guesses could in principle coincide
        var r = DownstreamTasks.EvaluateCloze(model, items, Encode, batchSize: 1);
        Assert.Equal(4, r.Items);
        Assert.Equal(0.5, r.Accuracy);       // greedy reproduces the two argmax targets
        Assert.Equal(0.5, r.ChoiceAccuracy); // with 4 distinct targets each item's distractors are the other three
        Assert.Equal([1, 1], expectedRanks.Take(2));
        var sorted = expectedRanks.Order().ToArray();
        Assert.Equal((sorted[1] + sorted[2]) / 2.0, r.TargetRank);
        Assert.Equal(logProb / 4, r.TargetLogProb, 1e-4);
    }

    [Fact]
    public void Choice_accuracy_counts_the_items_whose_target_outscores_every_distractor()
    {
        // Whatever the model: the figure must agree with scoring target and distractors one by one.
        using var model = TrainerHarness.NewModel();
        var items = new List<ClozeItem>
        {
            new("the cat sat on the", " mat"), new("once upon a", " time"), new("to be or not to", " be"),
            new("a stitch in time saves", " nine"), new("all that glitters is not", " gold"), new("the early bird gets the", " worm"),
        };
        var r = DownstreamTasks.EvaluateCloze(model, items, Encode, batchSize: 3);
        var distractors = DownstreamTasks.ClozeDistractors(items)!;
        int correct = 0;
        for (int k = 0; k < items.Count; k++)
        {
            var candidates = new[] { items[k].Target }.Concat(distractors[k])
                .Select(t => new ContinuationRequest(Encode(items[k].Context), Encode(t))).ToList();
            var ll = ContinuationScorer.Score(model, candidates, 1).Select(x => x.LogLikelihood).ToArray();
            if (ll.Skip(1).All(d => ll[0] > d)) correct++;
        }
        Assert.Equal((double)correct / items.Count, r.ChoiceAccuracy);
        Assert.InRange(r.TargetRank, 1, model.Config.VocabSize);
    }

    [Fact]
    public void Distractors_are_three_other_distinct_targets_drawn_the_same_way_every_time()
    {
        string path = Path.Combine(_dir, "c.jsonl");
        var words = new[] { " alpha", " beta", " gamma", " delta", " beta", " epsilon", " zeta", " alpha", " eta" };
        File.WriteAllLines(path, words.Select((w, k) => new JsonObject { ["context"] = $"passage {k}", ["target"] = w }.ToJsonString()));
        var items = DownstreamTasks.LoadCloze(path);
        var a = DownstreamTasks.ClozeDistractors(items)!;
        var b = DownstreamTasks.ClozeDistractors(DownstreamTasks.LoadCloze(path))!; // a fresh read of the same file
        Assert.Equal(a, b);
        var distinct = words.ToHashSet();
        for (int k = 0; k < items.Count; k++)
        {
            Assert.Equal(ClozeResult.ChoiceCandidates - 1, a[k].Length);
            Assert.Equal(a[k].Length, a[k].Distinct().Count());
            Assert.DoesNotContain(items[k].Target, a[k]); // " beta" never competes with itself, duplicates included
            Assert.All(a[k], d => Assert.Contains(d, distinct));
        }
    }

    [Fact]
    public void Fewer_than_four_distinct_targets_leave_the_choice_figure_out_and_the_rest_in()
    {
        using var model = TrainerHarness.NewModel();
        var items = new List<ClozeItem> { new("abc", " d"), new("efg", " h"), new("ijk", " d"), new("lmn", " i") };
        Assert.Null(DownstreamTasks.ClozeDistractors(items));
        var r = DownstreamTasks.EvaluateCloze(model, items, Encode);
        Assert.True(double.IsNaN(r.ChoiceAccuracy));
        Assert.True(double.IsFinite(r.TargetLogProb) && double.IsFinite(r.TargetRank) && double.IsFinite(r.TargetPerplexity));
        var json = EvalJson.Of(r, "f.jsonl");
        Assert.True(json.ContainsKey("choice_acc"));
        Assert.Null(json["choice_acc"]);
        Assert.Equal(4, (int)json["choice_candidates"]!);
    }

    [Fact]
    public void The_cloze_json_has_every_figure_under_its_documented_name()
    {
        var r = new ClozeResult(10, 0.1, 250.5, -6.25, 17.5, 0.4);
        var json = EvalJson.Of(r, "tasks/x.jsonl");
        Assert.Equal(["task", "file", "items", "acc", "target_ppl", "target_logprob", "target_rank", "choice_acc", "choice_candidates"],
            json.Select(p => p.Key));
        Assert.Equal("cloze", (string)json["task"]!);
        Assert.Equal("tasks/x.jsonl", (string)json["file"]!);
        Assert.Equal(10, (int)json["items"]!);
        Assert.Equal(-6.25, (double)json["target_logprob"]!);
        Assert.Equal(17.5, (double)json["target_rank"]!);
        Assert.Equal(0.4, (double)json["choice_acc"]!);
        Assert.Equal(4, (int)json["choice_candidates"]!);
    }

    [Fact]
    public void Eval_reports_the_cloze_figures_in_its_table_and_json()
    {
        string four = Path.Combine(_dir, "four.jsonl"), two = Path.Combine(_dir, "two.jsonl");
        string Line(string context, string target) => new JsonObject { ["context"] = context, ["target"] = target }.ToJsonString();
        File.WriteAllLines(four, [Line("Once upon a", " time"), Line("The cat sat on the", " mat"), Line("He opened the", " door"), Line("She drank a cup of", " tea")]);
        File.WriteAllLines(two, [Line("Once upon a", " time"), Line("The cat sat on the", " mat"), Line("It was a long", " time")]);

        var json = Eslm.Tests.Cli.CliHarness.Run("eval", "--checkpoint", "preset:tiny", "--task", "cloze", four, "--json", "--threads", "1");
        Assert.Equal(0, json.Code);
        var task = JsonNode.Parse(json.Out)!["tasks"]![0]!.AsObject();
        Assert.Equal(["task", "file", "items", "acc", "target_ppl", "target_logprob", "target_rank", "choice_acc", "choice_candidates", "seconds"],
            task.Select(p => p.Key));
        Assert.Equal(4, (int)task["choice_candidates"]!);
        Assert.InRange((double)task["choice_acc"]!, 0, 1);

        var table = Eslm.Tests.Cli.CliHarness.Run("eval", "--checkpoint", "preset:tiny", "--task", "cloze", two, "--threads", "1");
        Assert.Equal(0, table.Code);
        Assert.Contains("median first-token rank", table.Out);
        Assert.Contains("4-way choice n/a (fewer than 4 distinct targets)", table.Out);
    }

    [Fact]
    public void Eval_scores_tasks_within_the_window_it_evaluates_losses_with()
    {
        string file = Path.Combine(_dir, "long.jsonl");
        var item = new JsonObject { ["context"] = "Once upon a time there was a little girl who lived in a village near the forest, and every day she walked to the", ["target"] = " river" };
        File.WriteAllLines(file, [item.ToJsonString()]);
        double LogProb(string seq)
        {
            var run = Eslm.Tests.Cli.CliHarness.Run("eval", "--checkpoint", "preset:tiny", "--task", "cloze", file, "--seq", seq, "--json", "--threads", "1");
            Assert.Equal(0, run.Code);
            var output = JsonNode.Parse(run.Out)!;
            Assert.Equal(int.Parse(seq), (int)output["seq"]!);
            return (double)output["tasks"]![0]!["target_logprob"]!;
        }
        // preset:tiny's context is 64; the item is about 25 tokens, so a window of 8 cuts its context and one of 64 does not.
        Assert.NotEqual(LogProb("64"), LogProb("8"), 1e-3);
        Assert.Equal(LogProb("32"), LogProb("64"), 1e-6);
    }
}
