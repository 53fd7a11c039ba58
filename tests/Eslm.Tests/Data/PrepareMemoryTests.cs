using System.Text;
using Eslm.Data;
using Xunit;

namespace Eslm.Tests.Data;

/// <summary>Issue 21 friction: prepare's memory does not grow with the total input (tokens wait on disk, not in memory).</summary>
public class PrepareMemoryTests : DataTestBase
{
    [Fact]
    public void The_tokens_of_every_document_are_not_held_in_memory_while_the_shards_are_written()
    {
        // 80 files of 10 documents of ~10 KB, from a small vocabulary (so the tokenizer's cache stays small): ~2M tokens.
        var inputs = new List<string>();
        for (int f = 0; f < 80; f++)
        {
            var text = new StringBuilder();
            for (int d = 0; d < 10; d++)
            {
                for (int w = 0; w < 1500; w++) text.Append("word").Append((f * 7 + d * 13 + w) % 50).Append(' ');
                text.Append("\n\n");
            }
            inputs.Add(Write($"in/part{f:D2}.txt", text.ToString()));
        }
        Prepare(Path.Combine(Dir, "warm"), [inputs[0]], o => o with { Input = new InputOptions { Split = DocumentSplit.BlankLine } });
        long before = GC.GetTotalMemory(forceFullCollection: true), during = 0;
        var result = CorpusPreparer.Prepare(new PrepareOptions
        {
            Inputs = inputs.Select(p => new InputFile(p)).ToList(), OutputDirectory = Path.Combine(Dir, "ds"), ShardTokens = 1024,
            Input = new InputOptions { Split = DocumentSplit.BlankLine },
        }, p => { if (p.Phase == "write" && during == 0) during = GC.GetTotalMemory(forceFullCollection: true); });
        long tokenBytes = 2 * (result.Train.Tokens + result.Val.Tokens);
        Assert.True(tokenBytes > 1_500_000, $"the input should make over 750k tokens, made {tokenBytes / 2}");
        Assert.True(during - before < tokenBytes / 4,
            $"{(during - before) / 1e6:F2} MB more memory while writing shards, for {tokenBytes / 1e6:F2} MB of tokens");
    }
}

/// <summary>A JSONL file is streamed a line at a time; what it gives must equal reading it whole.</summary>
public class StreamedJsonlTests : DataTestBase
{
    [Fact]
    public void A_streamed_jsonl_file_gives_the_dataset_of_the_same_bytes_read_whole()
    {
        // Lines longer than the 1 MiB read chunk cross chunk boundaries; a byte-order mark and a last line without "\n".
        var text = new System.Text.StringBuilder("\uFEFF");
        for (int i = 0; i < 30; i++)
            text.Append(System.Text.Json.JsonSerializer.Serialize(new { text = $"doc {i} " + string.Concat(Enumerable.Repeat($"w{i % 7} ", i % 10 == 0 ? 200_000 : 50)), domain = i % 2 == 0 ? "x" : "y" }))
                .Append(i < 29 ? "\n" : "");
        string path = Write("big.jsonl", text.ToString());
        var streamed = Prepare(Path.Combine(Dir, "streamed"), [path]);
        var whole = Prepare(Path.Combine(Dir, "whole"), [path],
            o => o with { Inputs = [new InputFile(path) { Content = () => File.ReadAllBytes(path) }] }); // in-memory content is read whole
        Assert.Equal(ReadSplit(Path.Combine(Dir, "whole"), "train"), ReadSplit(Path.Combine(Dir, "streamed"), "train"));
        Assert.Equal(ReadSplit(Path.Combine(Dir, "whole"), "val"), ReadSplit(Path.Combine(Dir, "streamed"), "val"));
        Assert.Equal(whole.Train, streamed.Train);
        var (a, b) = (Dataset.Open(Path.Combine(Dir, "streamed")).Manifest.Sources![0], Dataset.Open(Path.Combine(Dir, "whole")).Manifest.Sources![0]);
        Assert.Equal((b.Sha256, b.Bytes, b.Documents), (a.Sha256, a.Bytes, a.Documents));
    }

    [Fact]
    public void A_bad_line_of_a_streamed_file_is_named_with_its_line_number_after_a_long_line()
    {
        string path = Write("c.jsonl", "{\"text\": \"" + new string('a', (1 << 20) + 10) + "\"}\n{\"text\": oops}\n");
        Assert.Contains("c.jsonl:2: not JSON", Assert.Throws<InvalidDataException>(() => Prepare(Path.Combine(Dir, "out"), [path])).Message);
    }
}
