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
