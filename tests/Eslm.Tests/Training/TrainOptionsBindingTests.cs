using System.Text.Json.Nodes;
using Eslm.Cli;
using Eslm.Data;
using Eslm.Model;
using Eslm.Selection;
using Eslm.Tensors;
using Eslm.Training;
using Xunit;

namespace Eslm.Tests.Training;

/// <summary>Issue 22: each training option is declared once on <see cref="TrainOptions"/>; flags, run.json and resume follow.</summary>
public class TrainOptionsBindingTests
{
    private static readonly GptConfig Tiny = GptConfig.FromPreset("tiny");

    /// <summary>Every declared option set away from its default (so a lost option cannot hide behind its default).</summary>
    private static TrainOptions AllChanged() => new()
    {
        BatchSize = 3, SequenceLength = 16, GradientAccumulation = 2, Steps = 7, LearningRate = 0.002f, WarmupSteps = 1,
        MinLearningRateFraction = 0.2f, WeightDecay = 0.05f, GradientClip = 0.5f, Seed = 9, Backward = BackwardMode.Exact,
        Precision = Precision.Bf16, Sampling = SamplingMode.Sequential, ValidationEvery = 3, ValidationBatches = 4,
        CheckpointEvery = 5, KeepLast = 6, Threads = 7,
    };

    [Fact]
    public void Every_declared_option_is_a_flag_of_train_with_its_help_line_and_default()
    {
        var train = Program.BuildRootCommand().Subcommands.Single(c => c.Name == "train");
        foreach (var d in TrainOptionsBinding.All)
        {
            var flag = train.Options.SingleOrDefault(o => o.Name == d.Flag);
            Assert.True(flag is not null, $"train has no {d.Flag}");
            Assert.Equal(d.Description, flag!.Description);
            Assert.Equal(d.Flag, "--" + d.Key.Replace('_', '-'));
        }
    }

    [Fact]
    public void Every_declared_option_is_set_away_from_its_default_in_the_round_trip_fixture()
    {
        var changed = AllChanged();
        foreach (var d in TrainOptionsBinding.All)
            Assert.True(!Equals(d.ValueIn(changed), d.Default), $"AllChanged() leaves '{d.Key}' at its default: set it, so the round trip covers it");
    }

    [Fact]
    public void A_run_record_reads_back_every_option_it_wrote()
    {
        var record = new RunRecord
        {
            ModelName = "tiny", Model = Tiny, Data = "d", ValidationData = "v", Train = AllChanged(),
            Selection = new SelectionOptions { Strategy = "eslm", Alpha = 0.3, Score = ScoreKind.Entropy },
        };
        string text = record.ToFileText(null);
        var back = RunRecord.FromJson((JsonObject)JsonNode.Parse(text)!, "run.json");
        Assert.Equal(record.Train, back.Train);
        Assert.Equal(record.Selection, back.Selection);
        Assert.Equal((record.Model.ToString(), record.Data, record.ValidationData, record.ModelName), (back.Model.ToString(), back.Data, back.ValidationData, back.ModelName));
        Assert.Empty(record.ChangesTo(back));
    }

    [Fact]
    public void A_run_json_from_before_issue_22_reads_with_its_backward_mode_from_the_selection()
    {
        var old = (JsonObject)JsonNode.Parse("""
            {"model": {"layers": 2, "heads": 2, "channels": 64, "max_sequence_length": 64, "vocab_size": 50257, "padded_vocab_size": 50304},
             "options": {"command": "train", "model": "tiny", "config": "x", "data": "d", "val_data": null, "batch": 4, "seq": 32, "steps": 6,
                         "selection": {"strategy": "eslm", "score": "loss", "alpha": 0.5, "keep": 0.6, "scope": "microbatch", "normalize": "kept",
                                       "seed": 1234, "backward": "exact", "ada_rule": "schedule"}, "processes": 1}}
            """)!;
        var record = RunRecord.FromJson(old, "run.json");
        Assert.Equal(BackwardMode.Exact, record.Train.Backward);
        Assert.Equal((4, 32, 6), (record.Train.BatchSize, record.Train.SequenceLength, record.Train.Steps));
        Assert.Equal(new TrainOptions().CheckpointEvery, record.Train.CheckpointEvery); // not recorded then: the default
    }

    [Fact]
    public void A_changed_option_is_named_by_its_flag_with_both_values()
    {
        var a = new RunRecord { ModelName = "tiny", Model = Tiny, Data = "d", Train = new TrainOptions { SequenceLength = 32 } };
        var b = a with { Train = a.Train with { KeepLast = 5, LearningRate = 0.001f }, Selection = new SelectionOptions { Strategy = "eslm" } };
        var changes = a.ChangesTo(b).Select(c => $"{c.Flag} {c.From} → {c.To}").ToList();
        Assert.Contains("--lr 0.0006 → 0.001", changes);
        Assert.Contains("--keep-last 2 → 5", changes);
        Assert.Contains("--strategy clm → eslm", changes);
    }

    /// <summary>Issue 21: a run.json is relocatable (its paths were relative to wherever the run started).</summary>
    [Fact]
    public void Run_json_records_paths_as_absolute_paths_and_leaves_schemes_alone()
    {
        var record = new RunRecord
        {
            ModelName = "tiny", Model = Tiny, Data = "data/x", ValidationData = "random:50257", InitFrom = "preset:tiny", Train = new TrainOptions(),
            Selection = new SelectionOptions { Strategy = "rho1" }.With(new Eslm.Selection.Strategies.Rho1Settings { Reference = "runs/ref" }),
        };
        // TrainingRun writes RunOptions.Record, which is Located(); ToFileText writes what it is given
        var options = JsonNode.Parse(record.Located().ToFileText(null))!["options"]!;
        Assert.Equal(Path.GetFullPath("data/x"), (string?)options["data"]);
        Assert.Equal("random:50257", (string?)options["val_data"]);
        Assert.Equal("preset:tiny", (string?)options["init_from"]);
        Assert.Equal(Path.GetFullPath("runs/ref"), (string?)options["selection"]!["reference"]);
        Assert.Empty(record.ChangesTo(record.Located())); // relative and absolute spellings of one path are no change
    }

    /// <summary>A data mixture (`A@0.8,B@0.2`, docs/formats.md) is recorded part by part: only its first path used to be made absolute.</summary>
    [Fact]
    public void Run_json_records_every_part_of_a_data_mixture_as_an_absolute_path()
    {
        var record = new RunRecord { ModelName = "tiny", Model = Tiny, Data = "data/a@0.8,data/b@0.2", ValidationData = "data/c,data/d", Train = new TrainOptions() };
        var options = JsonNode.Parse(record.Located().ToFileText(null))!["options"]!;
        Assert.Equal($"{Path.GetFullPath("data/a")}@0.8,{Path.GetFullPath("data/b")}@0.2", (string?)options["data"]);
        Assert.Equal($"{Path.GetFullPath("data/c")},{Path.GetFullPath("data/d")}", (string?)options["val_data"]);
        Assert.Empty(record.ChangesTo(record.Located()));
    }

    [Fact]
    public void Reporting_options_do_not_change_what_a_run_trains_but_training_options_do()
    {
        var a = new TrainOptions();
        Assert.True(TrainOptionsBinding.SameResults(a, a with { Threads = 3, ValidationEvery = 7, CheckpointEvery = 2, KeepLast = 9, ValidationBatches = 1 }));
        Assert.False(TrainOptionsBinding.SameResults(a, a with { LearningRate = 0.001f }));
        Assert.False(TrainOptionsBinding.SameResults(a, a with { Sampling = SamplingMode.Sequential }));
    }

    [Theory]
    [InlineData("--batch", 0, "--batch must be >= 1 (got 0)")]
    [InlineData("--keep-last", 0, "--keep-last must be >= 1 (got 0)")]
    [InlineData("--min-lr-fraction", 2, "--min-lr-fraction must be in [0, 1] (got 2)")]
    [InlineData("--lr", 0, "--lr must be > 0 (got 0)")]
    public void A_value_outside_its_declared_range_is_refused_naming_the_flag(string flag, double value, string message)
    {
        var d = TrainOptionsBinding.All.Single(o => o.Flag == flag);
        object typed = d.Type == typeof(int) ? (object)(int)value : (float)value;
        Assert.Equal(message, Assert.Throws<ArgumentException>(() => d.Set(new TrainOptions(), typed).Validate()).Message);
    }
}
