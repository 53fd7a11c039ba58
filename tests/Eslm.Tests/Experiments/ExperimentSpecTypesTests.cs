using Eslm.Experiments;
using Eslm.Tests.Checkpoints;
using Xunit;

namespace Eslm.Tests.Experiments;

/// <summary>
/// Issue 21 defect 5: an experiment file is read through typed records, so a value of the wrong JSON type, a null, an
/// out-of-range integer or a duplicate key is an error naming the key, the expected type and the file; before, "train":
/// [3] and {"steps": null} were ignored and a duplicate key gave .NET's own text.
/// </summary>
public class ExperimentSpecTypesTests
{
    private static string Error(string body)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["x.json"], body);
        var e = Assert.Throws<InvalidDataException>(() => ExperimentSpec.Load(dir["x.json"]));
        Assert.StartsWith(dir["x.json"], e.Message);
        Assert.DoesNotContain("\n", e.Message);
        return e.Message;
    }

    private static string Spec(string extra, string arm = """{"strategy": "clm"}""") =>
        $$"""{"name": "t", "model": "tiny", "data": "d", "budget": {"steps": 2}, "arms": [{{arm}}] {{extra}}}""";

    [Theory]
    [InlineData(""", "train": [3]""", "key 'train' must be an object (got [3])")]
    [InlineData(""", "train": "fast" """, "key 'train' must be an object (got \"fast\")")]
    [InlineData(""", "eval": {"data": "x"}""", "key 'eval' must be a list of objects")]
    [InlineData(""", "train": {"steps": null}""", "key 'train.steps' must be an integer from")]
    [InlineData(""", "train": {"steps": "3"}""", "key 'train.steps' must be an integer from")]
    [InlineData(""", "train": {"lr": "0.001"}""", "key 'train.lr' must be a number")]
    [InlineData(""", "train": {"batch": 3000000000}""", "key 'train.batch' must be an integer from -2147483648 to 2147483647")]
    [InlineData(""", "train": {"steps": 2.5}""", "key 'train.steps' must be an integer")]
    [InlineData(""", "seeds": [1, -2]""", "key 'seeds[1]' must be an integer from 0 to 18446744073709551615")]
    [InlineData(""", "val_every": true""", "key 'val_every' must be an integer")]
    [InlineData(""", "tasks": [{"task": "cloze", "file": 3}]""", "key 'tasks[0].file' must be a string")]
    [InlineData(""", "sedes": [1]""", "unknown key 'sedes'")]
    [InlineData(""", "train": {"stepz": 1}""", "unknown key 'train.stepz'")]
    public void A_value_of_the_wrong_json_type_names_the_key_the_expected_type_and_the_file(string extra, string message) =>
        Assert.Contains(message, Error(Spec(extra)));

    [Theory]
    [InlineData("""{"strategy": "clm", "train": [1]}""", "key 'arms[0].train' must be an object (got [1])")]
    [InlineData("""{"strategy": "eslm", "alpha": "high"}""", "key 'arms[0].alpha' must be a number")]
    [InlineData("""{"strategy": "eslm", "backward": 1}""", "key 'arms[0].backward' must be exact or kept-rows")]
    [InlineData("""{"strategy": 5}""", "key 'arms[0].strategy' must be a string")]
    public void An_arm_value_of_the_wrong_json_type_names_the_key_and_the_expected_type(string arm, string message) =>
        Assert.Contains(message, Error(Spec("", arm)));

    [Fact]
    public void A_duplicate_key_is_refused_naming_the_key_and_the_file()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["x.json"], Spec(""", "train": {"steps": 3, "steps": 4}"""));
        var e = Assert.Throws<InvalidDataException>(() => ExperimentSpec.Load(dir["x.json"]));
        Assert.Equal($"duplicate key 'steps' in {dir["x.json"]}", e.Message);
    }

    [Fact]
    public void A_shared_selection_key_the_arms_strategy_does_not_read_is_a_warning()
    {
        var spec = ExperimentSpec.Parse((System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse(
            Spec("", """{"strategy": "random", "keep": 0.5, "alpha": 0.3}"""))!);
        var warning = Assert.Single(spec.Warnings);
        Assert.Contains("arm random: strategy random does not use \"alpha\"", warning);
    }

    [Fact]
    public void Every_training_option_is_an_arm_train_key()
    {
        var spec = ExperimentSpec.Parse((System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse(
            Spec("", """{"strategy": "clm", "train": {"grad_clip": 0.5, "sampling": "sequential", "precision": "fp32", "keep_last": 3}}"""))!);
        var t = spec.Arms[0].Train;
        Assert.Equal((0.5f, Eslm.Data.SamplingMode.Sequential, 3), (t.GradientClip, t.Sampling, t.KeepLast));
    }
}

/// <summary>The committed experiment files are contracts: the typed reader takes every one of them.</summary>
public class CommittedExperimentFilesTests
{
    private static readonly string Root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));

    public static TheoryData<string> Files() => new(Directory.GetFiles(Path.Combine(Root, "experiments"), "*.json").Select(Path.GetFileName).Order()!);

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_committed_experiment_file_reads(string file)
    {
        var spec = ExperimentSpec.Load(Path.Combine(Root, "experiments", file));
        Assert.NotEmpty(spec.Arms);
        Assert.Empty(spec.Warnings);
    }
}
