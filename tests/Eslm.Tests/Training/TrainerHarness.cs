using Eslm.Model;
using Eslm.Selection;
using Eslm.Tests.Reference;
using Eslm.Training;
using Eslm.Data;

namespace Eslm.Tests.Training;

/// <summary>Tiny seeded training runs for comparing strategies, scopes and resumes.</summary>
public static class TrainerHarness
{
    public static readonly GptConfig Tiny = new() { Layers = 2, Heads = 2, Channels = 32, MaxSequenceLength = 16, VocabSize = 101 };

    public static Gpt NewModel(ulong seed = 5)
    {
        Blas.Ensure();
        var model = new Gpt(Tiny);
        WeightInit.Initialize(model, seed);
        return model;
    }

    public static TrainOptions Options(int batch = 4, int accumulation = 1, int steps = 3) => new()
    {
        BatchSize = batch, SequenceLength = 16, GradientAccumulation = accumulation, Steps = steps, WarmupSteps = 1, LearningRate = 1e-3f,
    };

    /// <summary>Trains <paramref name="steps"/> steps; returns the per-step results and the final parameters.</summary>
    public static (List<StepResult> Steps, float[] Parameters) Run(SelectionOptions selection, int steps = 3, int batch = 4,
        int accumulation = 1, Func<string, Gpt>? load = null, ulong dataSeed = 9)
    {
        using var model = NewModel();
        var options = Options(batch, accumulation, steps);
        using var trainer = new Trainer(model, options, new RandomTokenSource(batch, 16, Tiny.VocabSize, dataSeed),
            StrategyRegistry.Create(selection), load);
        var results = new List<StepResult>();
        for (int s = 0; s < steps; s++) results.Add(trainer.Step());
        return (results, model.Parameters.All.ToArray());
    }

    /// <summary>A copy of the harness model (same seed): used as reference or teacher identical to the student's start.</summary>
    public static Gpt CopyOfStudent(string _) => NewModel();
}
