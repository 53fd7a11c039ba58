using System.Text;
using Eslm.Data;

namespace Eslm.Tests.Data;

/// <summary>A temporary folder per test class, and helpers to write inputs and prepare small datasets.</summary>
public abstract class DataTestBase : IDisposable
{
    protected readonly string Dir = Path.Combine(Path.GetTempPath(), "eslm-data-" + Guid.NewGuid().ToString("N"));

    protected DataTestBase() => Directory.CreateDirectory(Dir);

    public void Dispose()
    {
        if (Directory.Exists(Dir)) Directory.Delete(Dir, true);
    }

    protected string Write(string name, string text) => WriteBytes(name, Encoding.UTF8.GetBytes(text));

    protected string WriteBytes(string name, byte[] bytes)
    {
        string path = Path.Combine(Dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    protected PrepareResult Prepare(string output, IEnumerable<string> inputs, Func<PrepareOptions, PrepareOptions>? tweak = null)
    {
        var options = new PrepareOptions { Inputs = DocumentReader.Expand(inputs), OutputDirectory = output, ShardTokens = 1024 };
        return CorpusPreparer.Prepare(tweak is null ? options : tweak(options));
    }

    /// <summary>Documents "doc N: …" of different lengths, as JSONL with domains a/b.</summary>
    protected string JsonlCorpus(string name = "corpus.jsonl", int documents = 40)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < documents; i++)
        {
            string text = $"Document {i} says: " + string.Join(' ', Enumerable.Range(0, 5 + i % 17).Select(k => $"word{k * i % 13}"));
            sb.Append(System.Text.Json.JsonSerializer.Serialize(new { text, domain = i % 3 == 0 ? "a" : "b" })).Append('\n');
        }
        return Write(name, sb.ToString());
    }

    /// <summary>An llm.c shard of <paramref name="tokens"/> tokens 0, 1, …, 999, 0, 1, … (position i holds i mod 1000).</summary>
    protected string CountingShard(string name, int tokens)
    {
        string path = Path.Combine(Dir, name);
        TokenShard.Write(path, Enumerable.Range(0, tokens).Select(i => (ushort)(i % 1000)).ToArray());
        return path;
    }

    /// <summary>All tokens of a split, read back through the shards.</summary>
    protected static int[] ReadSplit(string datasetDir, string split)
    {
        using var seq = TokenSequence.Open(datasetDir, split);
        var all = new int[seq.Count];
        seq.CopyTo(0, all);
        return all;
    }
}
