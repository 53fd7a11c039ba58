using System.Text.Json.Nodes;
using Eslm.Experiments;
using Eslm.Tests.Reference;

namespace Eslm.Tests.Experiments;

/// <summary>The smallest finished experiment (one clm run of 2 steps on a 1-layer model) for tests of what a report writes.</summary>
public static class OneRunExperiment
{
    /// <summary>Runs it into <paramref name="root"/> from a <see cref="Data.DataTestBase"/> test (whose "noisy" dataset it trains on).</summary>
    public static void Run(string root, string name)
    {
        Blas.Ensure();
        var spec = ExperimentSpec.Parse((JsonObject)JsonNode.Parse($$"""
            {
              "name": "{{name}}", "model": {"preset": "tiny", "layers": 1, "heads": 2, "channels": 16, "context": 8, "vocab": 101},
              "budget": {"steps": 2}, "train": {"batch": 2, "seq": 8, "lr": 0.01, "warmup": 1},
              "data": "noisy", "seeds": [1], "val_every": 1, "val_batches": 1, "checkpoint_every": 2,
              "eval": [{"name": "noisy", "data": "noisy", "domain": "in"}], "arms": [{"name": "clm", "strategy": "clm"}]
            }
            """)!);
        new ExperimentRunner(spec, root, new TestHost()).Run();
    }
}
