using Eslm.Checkpoints;
using Xunit;
using static Eslm.Tests.Checkpoints.TestFiles;

namespace Eslm.Tests.Checkpoints;

/// <summary>The CLI's error contract on malformed inputs: one line "eslm: error: FILE: problem", non-zero exit, files untouched.</summary>
public class InteropCliTests
{
    private static void AssertFails((int ExitCode, string Stdout, string Stderr) r, string file, string problem)
    {
        Assert.NotEqual(0, r.ExitCode);
        string err = r.Stderr.TrimEnd('\n');
        Assert.DoesNotContain('\n', err);
        Assert.StartsWith("eslm: error: ", err);
        Assert.Contains(file, err);
        Assert.Contains(problem, err);
    }

    public static TheoryData<string, string> Cases => new()
    {
        { "wrong-magic", "bad magic" },
        { "wrong-version", "unsupported llm.c model version 7" },
        { "truncated-llmc", "truncated" },
        { "truncated-safetensors", "runs past the end" },
        { "overlapping-safetensors", "overlaps" },
        { "offset-past-end", "runs past the end" },
        { "unknown-dtype", "unknown dtype 'Q4'" },
        { "header-too-large", "exceeds the 100 MB limit" },
        { "nan-weights", "contains NaN" },
        { "shape-mismatch", "has shape [3], expected [16]" },
        { "missing-heads", "cannot be inferred from tensor shapes" },
        { "missing-input", "not found" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Convert_rejects_bad_input_with_one_line_and_writes_nothing(string name, string problem)
    {
        using var dir = new TempDir();
        string input = Make(dir, name);
        string output = dir["out.bin"];
        string? before = File.Exists(input) ? Hash(input) : null;
        var r = RunCli("convert", input, output);
        AssertFails(r, input, problem);
        Assert.False(File.Exists(output));
        if (before is not null) Assert.Equal(before, Hash(input));
        Assert.Equal(before is null ? 0 : 1, Directory.GetFileSystemEntries(dir.Path).Length);
    }

    [Fact]
    public void Convert_refuses_to_overwrite_an_existing_output_without_force()
    {
        using var dir = new TempDir();
        using (var model = RandomModel()) LlmcModelFile.Save(dir["in.bin"], model);
        File.WriteAllText(dir["out.safetensors"], "precious");
        AssertFails(RunCli("convert", dir["in.bin"], dir["out.safetensors"]), dir["out.safetensors"], "already exists (pass --force");
        Assert.Equal("precious", File.ReadAllText(dir["out.safetensors"]));
    }

    [Fact]
    public void Inspect_and_sample_name_a_missing_checkpoint()
    {
        using var dir = new TempDir();
        AssertFails(RunCli("inspect", dir["none"]), dir["none"], "not found");
        AssertFails(RunCli("sample", "--checkpoint", dir["none"], "--prompt-ids", "1 2"), dir["none"], "not found");
    }

    [Fact]
    public void Sample_rejects_prompt_ids_outside_the_vocabulary_and_a_negative_temperature()
    {
        using var dir = new TempDir();
        using (var model = RandomModel()) LlmcModelFile.Save(dir["m.bin"], model);
        AssertFails(RunCli("sample", "--checkpoint", dir["m.bin"], "--prompt-ids", "1 50"), "--prompt-ids", "token id 50 is outside the model's vocabulary [0, 50)");
        AssertFails(RunCli("sample", "--checkpoint", dir["m.bin"], "--prompt-ids", "1", "--temperature", "-1"), "temperature", "must be a finite number >= 0");
    }

    [Fact]
    public void Inspect_describes_an_unfinished_checkpoint_as_incomplete_and_rejects_garbage()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir["junk.dat"], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        AssertFails(RunCli("inspect", dir["junk.dat"]), dir["junk.dat"], "unrecognised format");
        // Named .bin, even bytes read as nanoGPT's headerless uint16 tokens (as --data reads them); odd ones cannot be.
        File.WriteAllBytes(dir["junk.bin"], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        AssertFails(RunCli("inspect", dir["junk.bin"]), dir["junk.bin"], "odd byte count");
    }

    [Fact]
    public void Convert_then_inspect_and_sample_work_end_to_end()
    {
        using var dir = new TempDir();
        string hf = Path.Combine(FixtureDir, "model.safetensors");
        var r = RunCli("convert", hf, dir["m.bin"]);
        Assert.Equal(0, r.ExitCode);
        r = RunCli("convert", dir["m.bin"], dir["ck"]);
        Assert.Equal(0, r.ExitCode);
        r = RunCli("inspect", dir["ck"]);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("L2 NH4 C32 T16 V67", r.Stdout);
        r = RunCli("sample", "--checkpoint", dir["ck"], "--prompt-ids", "3 17", "--max-new-tokens", "5", "--temperature", "0");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(5, r.Stdout.Trim().Split(' ').Length);
        // Text prompt through the GPT-2 tokenizer: ids 0..66 of this 67-token model are the byte tokens '!'..'c'.
        r = RunCli("sample", "--checkpoint", dir["ck"], "--prompt", "#", "--max-new-tokens", "4", "--temperature", "0");
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("#", r.Stdout);
        Assert.Equal(1 + 4, r.Stdout.TrimEnd('\n').Length);
        var ids = RunCli("sample", "--checkpoint", dir["ck"], "--prompt-ids", "2", "--max-new-tokens", "4", "--temperature", "0");
        var decoded = string.Concat(ids.Stdout.Trim().Split(' ').Select(id => (char)('!' + int.Parse(id))));
        Assert.Equal(r.Stdout.TrimEnd('\n')[1..], decoded);
        AssertFails(RunCli("sample", "--checkpoint", dir["ck"], "--prompt", "hello world"), "--prompt", "outside the model's vocabulary [0, 67)");
    }

    [Fact]
    public void Inspect_describes_safetensors_llmc_models_token_shards_and_run_directories()
    {
        using var dir = new TempDir();
        using (var model = RandomModel())
        {
            HfGpt2.Save(dir["w.safetensors"], model, transformerPrefix: true);
            LlmcModelFile.Save(dir["m.bin"], model);
            Checkpoint.SaveStep(dir["run"], 7, model, null, null, new() { ["step"] = 7 });
        }
        var header = new int[256]; header[0] = 20240520; header[1] = 1; header[2] = 5;
        var shard = new byte[1024 + 10];
        Buffer.BlockCopy(header, 0, shard, 0, 1024);
        File.WriteAllBytes(dir["s.bin"], shard);

        var r = RunCli("inspect", dir["w.safetensors"]);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("transformer.h.1.attn.c_attn.weight  F32    [16, 48]", r.Stdout);
        Assert.Contains("GPT-2 (prefix 'transformer.'): L2 NH2 C16 T8 V50 (Vp 128)", r.Stdout);
        r = RunCli("inspect", dir["m.bin"]);
        Assert.Contains("version 3 (fp32)", r.Stdout);
        Assert.Contains("size: ok", r.Stdout);
        r = RunCli("inspect", dir["s.bin"]);
        Assert.Contains("llm.c token shard", r.Stdout);
        Assert.Contains("tokens 5", r.Stdout);
        Assert.Contains("size: ok", r.Stdout);
        Directory.CreateDirectory(dir["data"]);
        File.Copy(dir["s.bin"], Path.Combine(dir["data"], "train_000001.bin"));
        File.Copy(dir["s.bin"], Path.Combine(dir["data"], "val_000000.bin"));
        r = RunCli("inspect", dir["data"]);
        Assert.Contains("dataset of 2 llm.c token shard(s)", r.Stdout);
        Assert.Contains("total 10 tokens", r.Stdout);
        r = RunCli("inspect", dir["run"]);
        Assert.Contains("1 complete checkpoint(s)", r.Stdout);
        Assert.Contains("step-00000007", r.Stdout);
    }

    private static string Make(TempDir dir, string name)
    {
        string bin = dir["in.bin"], st = dir["in.safetensors"];
        switch (name)
        {
            case "wrong-magic":
            case "wrong-version":
            case "truncated-llmc":
            {
                using (var model = RandomModel()) LlmcModelFile.Save(bin, model);
                var b = File.ReadAllBytes(bin);
                if (name == "wrong-magic") BitConverter.GetBytes(20240325).CopyTo(b, 0);
                if (name == "wrong-version") BitConverter.GetBytes(7).CopyTo(b, 4);
                File.WriteAllBytes(bin, name == "truncated-llmc" ? b[..^100] : b);
                return bin;
            }
            case "truncated-safetensors":
            {
                using (var model = RandomModel()) HfGpt2.Save(st, model);
                File.WriteAllBytes(st, File.ReadAllBytes(st)[..^1]);
                return st;
            }
            case "overlapping-safetensors":
                WriteRawSafetensors(st, """{"wte.weight":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"wpe.weight":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", new byte[12]);
                return st;
            case "offset-past-end":
                WriteRawSafetensors(st, """{"wte.weight":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", new byte[8]);
                return st;
            case "unknown-dtype":
                WriteRawSafetensors(st, """{"wte.weight":{"dtype":"Q4","shape":[4],"data_offsets":[0,2]}}""", new byte[2]);
                return st;
            case "header-too-large":
                WriteRawSafetensors(st, "{}", [], declaredHeaderLength: 1UL << 33);
                return st;
            case "nan-weights":
            {
                using var model = RandomModel();
                model.Parameters.Span(Eslm.Model.ParameterLayout.Wpe)[3] = float.NaN;
                HfGpt2.Save(st, model);
                return st;
            }
            case "shape-mismatch":
            {
                using var model = RandomModel();
                var decl = HfGpt2.Declarations(model.Config, model.Parameters, "")
                    .Select(d => d.Name == "h.0.ln_1.bias" ? (d.Name, new[] { 3 }) : d).ToList();
                using var f = File.Create(st);
                var w = new SafetensorsWriter(f, decl, HfGpt2.Metadata(model.Config));
                foreach (var (_, shape) in decl) w.Write(new float[shape.Aggregate(1, (a, b) => a * b)]);
                w.Finish();
                return st;
            }
            case "missing-heads":
                File.Copy(Path.Combine(FixtureDir, "model.safetensors"), st);
                return st;
            case "missing-input":
                return dir["absent.safetensors"];
        }
        throw new ArgumentException(name);
    }
}
