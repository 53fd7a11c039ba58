using System.Text.Json.Nodes;
using Eslm.Tensors;

namespace Eslm.Data;

/// <summary>Uniformly random tokens from a seeded stream: the benchmark's data (speed does not depend on content).</summary>
public sealed class RandomTokenSource(int batchSize, int sequenceLength, int vocabSize, ulong seed) : IBatchSource
{
    private Rng _rng = new(seed);

    public int BatchSize => batchSize;
    public int SequenceLength => sequenceLength;

    public void NextBatch(Span<int> inputs, Span<int> targets)
    {
        for (int b = 0; b < batchSize; b++)
        {
            int previous = _rng.NextInt(vocabSize);
            for (int t = 0; t < sequenceLength; t++)
            {
                int next = _rng.NextInt(vocabSize);
                inputs[b * sequenceLength + t] = previous;
                targets[b * sequenceLength + t] = next;
                previous = next;
            }
        }
    }

    public JsonObject SaveState() => new() { ["rng"] = _rng.State };

    public void RestoreState(JsonObject state) => _rng = Rng.FromState((string?)state["rng"] ?? throw new InvalidDataException("data-source state has no rng"));
}
