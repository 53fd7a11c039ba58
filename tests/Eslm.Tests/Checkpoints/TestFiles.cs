using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Eslm.Model;
using Eslm.Native;
using Eslm.Tensors;

namespace Eslm.Tests.Checkpoints;

/// <summary>A temporary directory removed at the end of the test.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "eslm-test-" + Guid.NewGuid().ToString("N")));
    public string Path { get; }
    public string this[string name] => System.IO.Path.Combine(Path, name);
    public void Dispose() { try { Directory.Delete(Path, recursive: true); } catch (IOException) { } }
}

/// <summary>Builders for models and hand-made (possibly malformed) files.</summary>
public static class TestFiles
{
    public static readonly GptConfig Tiny = new() { Layers = 2, Heads = 2, Channels = 16, MaxSequenceLength = 8, VocabSize = 50 };

    static TestFiles() => OpenBlas.Initialize(1);

    public static string FixtureDir => Path.Combine(AppContext.BaseDirectory, "Fixtures", "hf_tiny");

    /// <summary>A model with N(0, 0.1) weights (LayerNorm weights around 1), padded wte rows zero.</summary>
    public static Gpt RandomModel(GptConfig? config = null, ulong seed = 1)
    {
        config ??= Tiny;
        var model = new Gpt(config);
        Fill(model.Parameters, seed, config);
        foreach (var name in new[] { ParameterLayout.Ln1W, ParameterLayout.Ln2W, ParameterLayout.LnfW })
            foreach (ref float x in model.Parameters.Span(name)) x += 1f;
        return model;
    }

    public static void Fill(TensorBlock block, ulong seed, GptConfig config)
    {
        var rng = new Rng(seed);
        foreach (ref float x in block.All) x = (float)(rng.NextGaussian() * 0.1);
        block.Span(ParameterLayout.Wte)[(config.VocabSize * config.C)..].Clear();
    }

    /// <summary>Writes 8-byte length + header JSON (as given) + data bytes.</summary>
    public static void WriteRawSafetensors(string path, string headerJson, byte[] data, ulong? declaredHeaderLength = null)
    {
        byte[] header = Encoding.UTF8.GetBytes(headerJson);
        using var f = File.Create(path);
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, declaredHeaderLength ?? (ulong)header.Length);
        f.Write(len); f.Write(header); f.Write(data);
    }

    public static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return bytes;
    }

    public static string Hash(string path) =>
        Directory.Exists(path)
            ? string.Join(",", Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Order().Select(f => f + ":" + Hash(f)))
            : Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    public static string CliDll => Path.Combine(AppContext.BaseDirectory, "eslm.dll");

    /// <summary>Runs the built CLI in a child process.</summary>
    public static (int ExitCode, string Stdout, string Stderr) RunCli(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(CliDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_TieredPGO"] = "0";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        // Generous: `eslm score` of the golden runs' workspace took 124 s on a shared, loaded 2-core machine.
        if (!p.WaitForExit(600_000)) { p.Kill(); throw new TimeoutException("eslm did not finish in 600 s"); }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
