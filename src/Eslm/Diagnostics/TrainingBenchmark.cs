using Eslm.Model;
using Eslm.Native;
using Eslm.Training;
using Eslm.Data;
using Eslm.Tensors;
using Eslm.Selection.Strategies;

namespace Eslm.Diagnostics;

public sealed record BenchmarkOptions
{
    public required GptConfig Model { get; init; }
    public string ModelName { get; init; } = "custom";
    public int BatchSize { get; init; } = 8;
    public int SequenceLength { get; init; } = 256;
    public int Steps { get; init; } = 10;
    public int WarmupSteps { get; init; } = 2;
    public string Strategy { get; init; } = ClmSelector.StrategyName;
    public bool Profile { get; init; }
    public bool MeasureCeiling { get; init; } = true;
    /// <summary>Also time plain `clm` in the same process, alternating steps with the strategy, and report the ratio.</summary>
    public bool Baseline { get; init; }
    /// <summary>GEMM operand precision of the measured trainer.</summary>
    public Precision Precision { get; init; } = Precision.Fp32;
    /// <summary>Precision of the alternated clm baseline (null = <see cref="Precision"/>): bf16 vs fp32 in one sitting.</summary>
    public Precision? BaselinePrecision { get; init; }
}

public sealed record BenchmarkResult
{
    public required string Model { get; init; }
    public int Batch { get; init; }
    public int Seq { get; init; }
    public required string Strategy { get; init; }
    public int Steps { get; init; }
    public double MedianMs { get; init; }
    public double MinMs { get; init; }
    public double MeanMs { get; init; }
    public double TokensPerS { get; init; }
    public double FlopsPerStep { get; init; }
    public double ExecutedFlopsPerStep { get; init; }
    /// <summary>Paper-style accounted FLOPs per step (2·N·M forward + 4·N·kept backward + auxiliary forwards).</summary>
    public double AccountedFlopsPerStep { get; init; }
    public double KeptFraction { get; init; }
    public double GflopsPerS { get; init; }
    /// <summary>"formula" (6·N·B·T + 12·L·C·T·B·T, for clm) or "executed" (GEMM FLOPs actually run, for selection strategies).</summary>
    public string FlopsBasis { get; init; } = "formula";
    public double GemmCeilingGflops { get; init; }
    public double Mfu { get; init; }
    public Precision Precision { get; init; } = Precision.Fp32;
    public Precision BaselinePrecision { get; init; } = Precision.Fp32;
    /// <summary>bf16 only: the bf16 GEMM (oneDNN) ceiling on the same shapes, measured in the same run; NaN for fp32.</summary>
    public double Bf16CeilingGflops { get; init; } = double.NaN;
    public IReadOnlyList<GemmCeiling.Measurement> Bf16Ceiling { get; init; } = [];
    /// <summary>
    /// Achieved FLOP/s over the fp32 SGEMM ceiling, whatever the precision: the two precisions compare in one column.
    /// For fp32 it equals <see cref="Mfu"/>; for bf16 <see cref="Mfu"/> is against the bf16 ceiling instead.
    /// </summary>
    public double Fp32EquivalentMfu { get; init; }
    public required string BlasCore { get; init; }
    public int Threads { get; init; }
    /// <summary>Peak resident memory of the process after the timed steps, before the GEMM ceilings are measured (with --baseline both models are resident).</summary>
    public double PeakRssMb { get; init; }
    public required string Cpu { get; init; }
    public double[] StepMs { get; init; } = [];
    public IReadOnlyList<(string Name, double Milliseconds, long Calls)> Profile { get; init; } = [];
    public IReadOnlyList<GemmCeiling.Measurement> Ceiling { get; init; } = [];
    /// <summary>With <see cref="BenchmarkOptions.Baseline"/>: clm's median, measured in alternation with the strategy.</summary>
    public double BaselineMedianMs { get; init; } = double.NaN;
    public double RatioVsBaseline => MedianMs / BaselineMedianMs;
    /// <summary>The theoretical peak of the ISA on the cores used (null where /proc/cpuinfo cannot be read).</summary>
    public IsaPeak? IsaPeak { get; init; }
    /// <summary>Achieved FLOP/s over <see cref="IsaPeak"/>'s peak for the precision run (fp32 FMA, or the bf16 unit): a fixed meaning across CPUs.</summary>
    public double IsaMfu { get; init; } = double.NaN;
    /// <summary>oneDNN matmul primitives created during the measured steps (new shapes; 0 once every shape has run).</summary>
    public long MatmulPrimitivesCreated { get; init; }
    /// <summary>bf16 only: the kernel the engine runs the products on, e.g. "gemm (auto: no AMX-BF16)".</summary>
    public string? Bf16Kernel { get; init; }

    /// <summary>The ISA peak MFU is measured against: "2 cores × 2.10 GHz × 64 FLOP/cycle (AVX-512 FMA, two pipes) = 269 GFLOP/s".</summary>
    public string? IsaPeakDescription => IsaPeak is not { } p ? null
        : Precision == Precision.Bf16 ? (double.IsNaN(p.Bf16Gflops) ? null : Eslm.Native.IsaPeak.Describe(p.Cores, p.Ghz, p.Bf16FlopPerCycle, p.Bf16Isa))
        : Eslm.Native.IsaPeak.Describe(p.Cores, p.Ghz, p.Fp32FlopPerCycle, p.Fp32Isa);
}

/// <summary>
/// `eslm bench`: trains on random tokens and reports median ms/step (warm-up excluded), tokens/s, achieved GFLOP/s with
/// the nanoGPT FLOP formula, and MFU against the SGEMM ceiling measured in the same run on the model's own GEMM shapes.
/// </summary>
public static class TrainingBenchmark
{
    public static BenchmarkResult Run(BenchmarkOptions options, Func<Gpt, TrainOptions, IBatchSource, Trainer>? trainerFactory = null,
        Action<int, double>? onStep = null)
    {
        var cfg = options.Model;
        int B = options.BatchSize, T = options.SequenceLength;
        using var model = new Gpt(cfg);
        WeightInit.Initialize(model, 1337);
        var trainOptions = new TrainOptions
        {
            BatchSize = B, SequenceLength = T, Steps = options.Steps + options.WarmupSteps, WarmupSteps = 1, Precision = options.Precision,
        };
        var baselinePrecision = options.BaselinePrecision ?? options.Precision;
        var data = new RandomTokenSource(B, T, cfg.VocabSize, 42);
        using var trainer = trainerFactory?.Invoke(model, trainOptions, data) ?? new Trainer(model, trainOptions, data);

        // The baseline (clm on an identical model and data) alternates step by step with the strategy, so both see the
        // same machine conditions: their ratio is robust to noise on a shared host.
        using var baselineModel = options.Baseline ? new Gpt(cfg) : null;
        if (baselineModel is not null) WeightInit.Initialize(baselineModel, 1337);
        using var baseline = baselineModel is null ? null
            : new Trainer(baselineModel, trainOptions with { Precision = baselinePrecision }, new RandomTokenSource(B, T, cfg.VocabSize, 42));
        var baselineTimes = new List<double>();

        var times = new List<double>();
        long executed = 0, primitivesBefore = 0;
        double accounted = 0, keptFraction = 0;
        for (int s = 0; s < options.WarmupSteps + options.Steps; s++)
        {
            bool measured = s >= options.WarmupSteps;
            if (s == options.WarmupSteps) primitivesBefore = OneDnnMatmul.Created;
            if (baseline is not null)
            {
                double ms = baseline.Step().Milliseconds;
                if (measured) baselineTimes.Add(ms);
            }
            model.Timer.Enabled = options.Profile && measured;
            var r = trainer.Step();
            if (measured)
            {
                times.Add(r.Milliseconds); executed += r.FlopsExecuted;
                accounted += r.Selection.FlopsAccounted; keptFraction += r.Selection.KeptFraction;
            }
            onStep?.Invoke(s, r.Milliseconds);
        }
        long primitivesCreated = OneDnnMatmul.Created - primitivesBefore;
        // Before the GEMM ceilings below allocate their own operands (the head's are larger than the model's buffers).
        double peakRss = MachineInfo.PeakRssMegabytes;
        var sorted = times.Order().ToArray();
        double median = Median(sorted);
        double flops = cfg.TrainingFlops(B, T);
        var ceiling = options.MeasureCeiling ? GemmCeiling.Measure(ShapesOf(cfg, B, T)) : [];
        double ceilingGflops = ceiling.Count == 0 ? double.NaN : ceiling.Max(m => m.GflopsPerSecond);
        bool bf16 = options.Precision == Precision.Bf16;
        var bf16Ceiling = options.MeasureCeiling && bf16 ? GemmCeiling.MeasureBf16Engine(ShapesOf(cfg, B, T), Bf16Kernels.FromEnvironment()) : [];
        double bf16CeilingGflops = bf16Ceiling.Count == 0 ? double.NaN : bf16Ceiling.Max(m => m.GflopsPerSecond);
        // clm: the nanoGPT/llm.c formula (comparable with peers). Selection strategies do less work than the formula
        // counts, so their achieved rate uses the FLOPs our GEMMs actually executed (else MFU would exceed 100%).
        bool formula = options.Strategy == ClmSelector.StrategyName;
        double executedPerStep = times.Count == 0 ? 0 : (double)executed / times.Count;
        double gflops = (formula ? flops : executedPerStep) / (median / 1000.0) / 1e9;
        // The theoretical peak of the cores the run used (OpenBLAS's thread count, which --threads sets).
        var isa = IsaPeak.OfThisProcess();
        double isaPeak = isa is null ? double.NaN : bf16 ? isa.Bf16Gflops : isa.Fp32Gflops;
        return new BenchmarkResult
        {
            Model = options.ModelName, Batch = B, Seq = T, Strategy = options.Strategy, Steps = times.Count,
            MedianMs = median, MinMs = sorted.FirstOrDefault(), MeanMs = times.Count == 0 ? double.NaN : times.Average(),
            TokensPerS = B * T / (median / 1000.0), FlopsPerStep = flops, ExecutedFlopsPerStep = times.Count == 0 ? 0 : (double)executed / times.Count,
            AccountedFlopsPerStep = times.Count == 0 ? 0 : accounted / times.Count, KeptFraction = times.Count == 0 ? 0 : keptFraction / times.Count,
            FlopsBasis = formula ? "formula" : "executed", GflopsPerS = gflops, GemmCeilingGflops = ceilingGflops,
            Mfu = gflops / (bf16 ? bf16CeilingGflops : ceilingGflops), Fp32EquivalentMfu = gflops / ceilingGflops,
            Precision = options.Precision, BaselinePrecision = baselinePrecision, Bf16CeilingGflops = bf16CeilingGflops, Bf16Ceiling = bf16Ceiling,
            BlasCore = OpenBlas.CoreName, Threads = OpenBlas.Threads, PeakRssMb = peakRss, Cpu = MachineInfo.CpuModel,
            StepMs = times.ToArray(), Profile = options.Profile ? model.Timer.Totals : [], Ceiling = ceiling,
            BaselineMedianMs = baseline is null ? double.NaN : Median(baselineTimes.Order().ToArray()),
            IsaPeak = isa, IsaMfu = gflops / isaPeak,
            Bf16Kernel = bf16 ? DescribeBf16Kernels(ShapesOf(cfg, B, T)) : null, MatmulPrimitivesCreated = primitivesCreated,
        };
    }

    /// <summary>The bf16 kernels of <paramref name="shapes"/> and why: "matmul (auto: AMX-BF16)", "gemm (ESLM_BF16_KERNEL=gemm)".</summary>
    public static string DescribeBf16Kernels(IEnumerable<GemmCeiling.Shape> shapes)
    {
        var request = Bf16Kernels.FromEnvironment();
        string kernels = string.Join("/", shapes.Select(s => Bf16Kernels.Choose(request, OneDnn.HasAmxBf16, s.M, s.N, s.K).Name()).Distinct());
        string why = request == Bf16KernelRequest.Auto ? OneDnn.HasAmxBf16 ? "auto: AMX-BF16" : "auto: no AMX-BF16" : $"{Bf16Kernels.EnvironmentVariable}={request.Name()}";
        return $"{kernels} ({why})";
    }

    private static double Median(double[] sorted) => sorted.Length == 0 ? double.NaN
        : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : 0.5 * (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]);

    /// <summary>Every GEMM shape of a dense training step (forward, dX, dW of the four linear layers and the head).</summary>
    public static IEnumerable<GemmCeiling.Shape> AllShapesOf(GptConfig cfg, int B, int T)
    {
        int BT = B * T, C = cfg.C;
        foreach (var (name, inC, outC) in new[] { ("qkv", C, 3 * C), ("attproj", C, C), ("fc", C, 4 * C), ("fcproj", 4 * C, C), ("head", C, cfg.Vp) })
        {
            yield return new($"{name}.fwd", BT, outC, inC, TransB: true, BIsWeight: true);
            yield return new($"{name}.dX", BT, inC, outC, BIsWeight: true);
            yield return new($"{name}.dW", outC, inC, BT, TransA: true);
        }
    }

    /// <summary>The model's largest GEMMs: LM head forward and weight-gradient, MLP up-projection.</summary>
    public static IEnumerable<GemmCeiling.Shape> ShapesOf(GptConfig cfg, int B, int T)
    {
        int BT = B * T;
        yield return new("head.fwd", BT, cfg.Vp, cfg.C, TransB: true, BIsWeight: true);
        yield return new("head.dW", cfg.Vp, cfg.C, BT, TransA: true);
        yield return new("fc.fwd", BT, 4 * cfg.C, cfg.C, TransB: true, BIsWeight: true);
    }
}
