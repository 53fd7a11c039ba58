using System.Text.Json.Nodes;
using Eslm.Checkpoints;
using Eslm.Data;
using Eslm.Tests.Checkpoints;
using Xunit;

namespace Eslm.Tests.Cli;

/// <summary>
/// An option that can have no effect in the combination given is refused with one line naming it (exit 2), or, where the
/// project warns for that kind of case (selection and validation settings of `train`), warned about; it used to be
/// dropped without a word, exit 0.
/// </summary>
public class NoEffectOptionTests
{
    private static string Text(TempDir dir, string name = "a.txt", string content = "Hello world.\n\nMore text here.\n")
    {
        File.WriteAllText(dir[name], content);
        return dir[name];
    }

    private static string SavedModel(TempDir dir)
    {
        using var model = TestFiles.RandomModel(); // context 8
        Checkpoint.SaveStep(dir["run"], 1, model, null, null, new JsonObject { ["step"] = 1 });
        return dir["run"];
    }

    private static string TokenFile(TempDir dir)
    {
        TokenShard.Write(dir["tokens.bin"], Enumerable.Range(0, 200).Select(i => (ushort)(i % 50)).ToArray());
        return dir["tokens.bin"];
    }

    private static string Dataset(TempDir dir)
    {
        CorpusPreparer.Prepare(new PrepareOptions { Inputs = DocumentReader.Expand([Text(dir)]), OutputDirectory = dir["ds"] });
        return dir["ds"];
    }

    [Fact]
    public void Tokenize_bench_of_an_empty_file_is_an_error_naming_it_never_a_NaN_ratio()
    {
        using var dir = new TempDir();
        var r = CliHarness.Run("tokenize", "--bench", Text(dir, "empty.txt", ""));
        CliHarness.AssertOneLineError(r, 1, dir["empty.txt"], "empty");
        Assert.DoesNotContain("NaN", r.Out);
    }

    [Theory]
    [InlineData("--decode", "--count")]
    [InlineData("--decode", "--allow-special")]
    [InlineData("--decode", "--bench")]
    [InlineData("--decode", "--invalid-utf8", "replace")]
    [InlineData("--decode", "--repeat", "2")]
    [InlineData("--bench", "--count")]
    [InlineData("--bench", "--allow-special")]
    [InlineData("--count", "--repeat", "2")]
    public void Tokenize_refuses_an_option_its_mode_does_not_read(string mode, string option, string? value = null)
    {
        using var dir = new TempDir();
        string input = Text(dir, "in.txt", "15496 995");
        string[] args = value is null ? ["tokenize", input, mode, option] : ["tokenize", input, mode, option, value];
        CliHarness.AssertOneLineError(CliHarness.Run(args), 2, option, "has no effect");
    }

    [Theory]
    [InlineData("--field", "body")]
    [InlineData("--domain-field", "kind")]
    [InlineData("--clean-share", "0.5")]
    [InlineData("--data-dir", "elsewhere")]
    public void Prepare_refuses_an_option_its_text_inputs_do_not_read(string option, string value)
    {
        using var dir = new TempDir();
        CliHarness.AssertOneLineError(CliHarness.Run("prepare", Text(dir), "--out", dir["ds"], option, value), 2, option, "has no effect");
        Assert.False(Directory.Exists(dir["ds"]));
    }

    [Theory]
    [InlineData("--clean-share", "0.5")]
    [InlineData("--data-dir", "elsewhere")]
    [InlineData("--domain", "mine")]
    [InlineData("--split-docs", "jsonl")]
    [InlineData("--file-name-domains", null)]
    public void Prepare_refuses_an_option_a_builtin_recipe_does_not_read(string option, string? value)
    {
        using var dir = new TempDir();
        string[] args = ["prepare", "--recipe", "builtin-clean", "--out", dir["ds"], option];
        var r = CliHarness.Run(value is null ? args : [.. args, value]);
        CliHarness.AssertOneLineError(r, 2, option, "--recipe");
        Assert.False(Directory.Exists(dir["ds"]));
    }

    [Fact]
    public void Prepare_refuses_file_name_domains_with_domain_and_reads_field_from_the_jsonl_of_a_mix()
    {
        using var dir = new TempDir();
        CliHarness.AssertOneLineError(CliHarness.Run("prepare", Text(dir), "--out", dir["a"], "--domain", "x", "--file-name-domains"),
            2, "--file-name-domains", "--domain");
        string jsonl = Text(dir, "b.jsonl", "{\"body\": \"Some JSON text.\"}\n{\"body\": \"And more of it.\"}\n");
        var r = CliHarness.Run("prepare", Text(dir), jsonl, "--out", dir["b"], "--field", "body", "--threads", "1");
        Assert.True(r.Code == 0, r.Err);
    }

    [Fact]
    public void Convert_refuses_hf_config_without_safetensors_output_and_heads_for_a_checkpoint()
    {
        using var dir = new TempDir();
        string run = SavedModel(dir);
        CliHarness.AssertOneLineError(CliHarness.Run("convert", run, dir["m.bin"], "--hf-config"), 2, "--hf-config", "safetensors output only");
        CliHarness.AssertOneLineError(CliHarness.Run("convert", run, dir["m.safetensors"], "--heads", "2"), 2, "--heads has no effect", run);
        Assert.False(File.Exists(dir["m.bin"]) || File.Exists(dir["m.safetensors"]));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("2")]
    public void Sample_refuses_heads_with_an_eslm_checkpoint(string heads)
    {
        using var dir = new TempDir();
        var r = CliHarness.Run("sample", "--checkpoint", SavedModel(dir), "--prompt-ids", "1 2", "--max-new-tokens", "1", "--heads", heads, "--threads", "1");
        CliHarness.AssertOneLineError(r, 2, "--heads has no effect with --checkpoint");
    }

    [Theory]
    [InlineData("run")]
    [InlineData("tokens")]
    [InlineData("dataset")]
    public void Inspect_refuses_heads_for_anything_but_a_safetensors_file(string kind)
    {
        using var dir = new TempDir();
        string path = kind switch
        {
            "run" => SavedModel(dir),
            "tokens" => TokenFile(dir),
            _ => Dataset(dir),
        };
        CliHarness.AssertOneLineError(CliHarness.Run("inspect", path, "--heads", "2"), 2, $"--heads has no effect with {path}", "safetensors");
    }

    [Theory]
    [InlineData("score", "train")]
    [InlineData("score", "val")]
    [InlineData("selection-overlap", "val")]
    public void A_split_given_with_a_single_token_file_is_refused(string command, string split)
    {
        using var dir = new TempDir();
        string run = SavedModel(dir), tokens = TokenFile(dir);
        string[] models = command == "score" ? ["--reference", run] : ["--a", run, "--b", run];
        var r = CliHarness.Run([command, .. models, "--data", tokens, "--split", split, "--threads", "1"]);
        CliHarness.AssertOneLineError(r, 2, $"--split {split} has no effect with --data {tokens}");
        Assert.False(File.Exists(tokens + ".reference-losses.bin"));
    }

    [Theory]
    [InlineData("score")]
    [InlineData("selection-overlap")]
    public void An_unknown_split_name_is_refused(string command)
    {
        using var dir = new TempDir();
        string run = SavedModel(dir), tokens = TokenFile(dir);
        string[] models = command == "score" ? ["--reference", run] : ["--a", run, "--b", run];
        CliHarness.AssertOneLineError(CliHarness.Run([command, .. models, "--data", tokens, "--split", "nonsense"]), 2, "--split must be one of train, val");
    }

    private static (int Code, string Out, string Err) Train(TempDir dir, params string[] more) => CliHarness.Run(
        ["train", "--model", "tiny", "--data", "random:50257", "--out", dir["r"], "--steps", "1", "--batch", "1", "--seq", "16",
         "--warmup", "0", "--threads", "1", .. more]);

    [Theory]
    [InlineData("--normalize", "all")]
    [InlineData("--selection-scope", "global")]
    [InlineData("--backward", "exact")]
    public void Clm_warns_that_an_option_of_what_is_kept_changes_nothing(string option, string value)
    {
        using var dir = new TempDir();
        var r = Train(dir, "--strategy", "clm", "--val-batches", "0", option, value);
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains($"eslm: warning: --strategy clm keeps every token, so {option} {value} changes nothing", r.Err);
        using var other = new TempDir();
        var eslm = Train(other, "--strategy", "eslm", "--val-batches", "0", option, value);
        Assert.True(eslm.Code == 0, eslm.Err);
        Assert.DoesNotContain("keeps every token", eslm.Err);
    }

    [Fact]
    public void Val_data_with_val_batches_zero_is_warned_about()
    {
        using var dir = new TempDir();
        var r = Train(dir, "--val-data", "random:50257", "--val-batches", "0");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("eslm: warning: --val-batches 0 turns validation off, so --val-data random:50257 is never evaluated", r.Err);
    }

    [Fact]
    public void Val_every_with_val_batches_zero_is_warned_about()
    {
        using var dir = new TempDir();
        var r = Train(dir, "--val-every", "5", "--val-batches", "0");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("eslm: warning: --val-batches 0 turns validation off, so --val-every 5 schedules nothing; it is ignored", r.Err);
        using var other = new TempDir();
        Assert.DoesNotContain("--val-every", Train(other, "--val-batches", "0").Err);
    }

    [Theory]
    [InlineData("-5")]
    [InlineData("1000000")]
    public void Show_selection_refuses_a_window_outside_the_context_as_other_commands_do(string seq)
    {
        using var dir = new TempDir();
        var r = CliHarness.Run("show-selection", "--checkpoint", SavedModel(dir), "--text", Text(dir), "--out", dir["p.html"], "--seq", seq);
        CliHarness.AssertOneLineError(r, 2, $"--seq must be in [1, 8] (got {seq})");
        Assert.False(File.Exists(dir["p.html"]));
    }
}
