using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Eslm.Diagnostics;
using Eslm.Model;
using Eslm.Native;
using Eslm.Selection;
using Eslm.Training;
using Eslm.Tensors;
using Eslm.Selection.Strategies;

namespace Eslm.Cli.Commands;

/// <summary>`eslm bench`: training-step speed on random tokens, with MFU against the SGEMM ceiling measured in the same run.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        // shared with train, declared once in TrainOptions
        var run = new TrainCliOptions(["batch", "backward", "precision", "threads"]);
        var seq = new Option<int>("--seq", "-t") { Description = "Tokens per sequence (T); default: 256, or the model's context when shorter" };
        var steps = new Option<int>("--steps") { Description = "Measured steps (the median is reported)", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "Unmeasured warm-up steps", DefaultValueFactory = _ => 2 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table" };
        var profile = new Option<bool>("--profile") { Description = "Add a per-op time breakdown" };
        var baseline = new Option<bool>("--baseline") { Description = "Also time clm in the same run, alternating steps with --strategy, and report the ratio" };
        var gemm = new Option<bool>("--gemm") { Description = "Only measure the SGEMM ceiling on the model's GEMM shapes" };
        var selection = new SelectionCliOptions();
        var baselinePrecision = new Option<string?>("--baseline-precision")
        {
            HelpName = "fp32|bf16", // keeps the help's option column as wide as it was
            Description = "Precision of the alternated clm baseline (default: --precision); e.g. --precision bf16 --baseline-precision fp32",
        };
        var command = new Command("bench", "Measure training speed: ms/step, tokens/s, GFLOP/s, MFU vs the measured SGEMM ceiling.");
        model.AddTo(command);
        foreach (var o in new Option[] { seq, steps, warmup, json, profile, baseline, gemm }) command.Options.Add(o);
        run.AddTo(command);
        command.Options.Add(baselinePrecision);
        selection.AddTo(command);
        command.SetAction(r => CliRunner.Run(() =>
        {
            var shared = run.Resolve(r, new TrainOptions()).Validate();
            CliRunner.ConfigureThreads(shared.Threads);
            var (name, cfg) = model.Resolve(r);
            // 256 is d6's context, the benchmarks' usual shape; a smaller model (tiny: 64) benches at its whole context.
            int B = shared.BatchSize, T = UnusedOptions.Given(r, seq) ? r.GetValue(seq) : Math.Min(256, cfg.MaxSequenceLength);
            if (T < 1 || T > cfg.MaxSequenceLength) throw new ArgumentException($"--seq must be in [1, {cfg.MaxSequenceLength}] for model {name} (got {T})");
            if (r.GetValue(steps) < 1) throw new ArgumentException($"--steps must be >= 1 (got {r.GetValue(steps)})");
            if (r.GetValue(warmup) < 0) throw new ArgumentException($"--warmup must be >= 0 (got {r.GetValue(warmup)})");
            RefuseUnused(r, r.GetValue(gemm), [steps, warmup, profile, baseline, baselinePrecision, run["backward"], run["precision"], .. selection.All], baseline, baselinePrecision);
            TrainingMemory.Estimate(cfg, B, T).RequireFits($"benchmarking {name} ({cfg}) with B={B} T={T}", TrainingMemory.MachineBytes);
            var chosen = shared.Precision;
            if (chosen == Precision.Bf16) OneDnn.EnsureBf16();
            var baselineChosen = r.GetValue(baselinePrecision) is { } bp ? PrecisionNames.Parse(bp) : chosen;
            if (baselineChosen == Precision.Bf16) OneDnn.EnsureBf16();
            if (r.GetValue(gemm))
            {
                if (OneDnn.Bf16Unavailable is null) return PrintLibraries(cfg, B, T, r.GetValue(json));
                return PrintCeiling(GemmCeiling.Measure(TrainingBenchmark.ShapesOf(cfg, B, T)), r.GetValue(json));
            }
            var selectionOptions = ResolveSelection(r, selection, shared, r.GetValue(baseline), baselineChosen);
            var backwardMode = shared.Backward;
            string strategyName = selectionOptions.Strategy;
            // Per-step times redraw one line on a terminal; logs and TERM=dumb get only the table (docs/cli-rules.md).
            bool showSteps = !r.GetValue(json) && ProgressReporter.Redraws(Console.IsErrorRedirected, Environment.GetEnvironmentVariable("TERM"));
            bool withBaseline = r.GetValue(baseline); // a clm baseline that would time clm against itself is refused above
            var result = TrainingBenchmark.Run(new BenchmarkOptions
            {
                Model = cfg, ModelName = name, BatchSize = B, SequenceLength = T, Steps = r.GetValue(steps), WarmupSteps = r.GetValue(warmup),
                Strategy = strategyName, Profile = r.GetValue(profile), Baseline = withBaseline,
                Precision = chosen, BaselinePrecision = baselineChosen,
            }, (m, o, d) => new Trainer(m, o with { Backward = backwardMode }, d, StrategyRegistry.Create(selectionOptions), ModelLoader.Load),
            onStep: showSteps ? (s, ms) => Console.Error.Write($"\r  step {s + 1}: {ms:F0} ms   ") : null);
            if (showSteps) Console.Error.WriteLine();
            if (r.GetValue(json))
            {
                var o = ToJson(result);
                var selectionJson = SelectionBinding.ToJson(selectionOptions);
                selectionJson["backward"] = backwardMode.Name();
                o["selection"] = selectionJson;
                Console.WriteLine(o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            }
            else PrintTable(result, backwardMode);
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// An option the chosen measurement cannot use is refused (docs/cli-rules.md, "Options"): --gemm times the model's
    /// GEMM shapes alone (in every library and precision it has), so no step, selection or baseline option reaches it;
    /// --baseline-precision sets only the alternated baseline.
    /// </summary>
    private static void RefuseUnused(ParseResult r, bool gemm, Option[] stepOptions, Option<bool> baseline, Option baselinePrecision)
    {
        if (gemm) UnusedOptions.Refuse(r, "with --gemm (it times the model's GEMM shapes alone, no training step)", stepOptions);
        if (!r.GetValue(baseline)) UnusedOptions.Refuse(r, "without --baseline (it sets the precision of the alternated clm baseline)", baselinePrecision);
    }

    /// <summary>
    /// The selection measured, with train's warnings for settings the strategy ignores (--backward included: clm drops no
    /// rows). A clm baseline beside clm at the same precision would time clm against itself: --baseline is refused then.
    /// </summary>
    private static SelectionOptions ResolveSelection(ParseResult r, SelectionCliOptions selection, TrainOptions shared, bool baseline, Precision baselinePrecision)
    {
        var chosen = selection.Resolve(r);
        void Warn(string m) => Console.Error.WriteLine($"eslm: warning: {m}");
        // Bench starts from the defaults (no recorded run), so a backward mode away from the default was given.
        selection.CheckIgnored(r, chosen, Warn, shared.Backward);
        if (baseline && chosen.Strategy == ClmSelector.StrategyName && baselinePrecision == shared.Precision)
            throw new ArgumentException($"--baseline has no effect with --strategy {chosen.Strategy} at one precision: it would time clm against itself " +
                                        $"(choose another --strategy, or a --baseline-precision other than {shared.Precision.Name()})");
        return chosen;
    }

    public static JsonObject ToJson(BenchmarkResult r)
    {
        var o = new JsonObject
        {
            ["model"] = r.Model, ["batch"] = r.Batch, ["seq"] = r.Seq, ["strategy"] = r.Strategy, ["steps"] = r.Steps,
            ["median_ms"] = Math.Round(r.MedianMs, 2), ["min_ms"] = Math.Round(r.MinMs, 2), ["mean_ms"] = Math.Round(r.MeanMs, 2),
            ["tokens_per_s"] = Math.Round(r.TokensPerS, 1), ["flops_per_step"] = r.FlopsPerStep,
            ["executed_flops_per_step"] = r.ExecutedFlopsPerStep, ["accounted_flops_per_step"] = r.AccountedFlopsPerStep,
            ["kept_fraction"] = Math.Round(r.KeptFraction, 4),
            ["baseline_median_ms"] = double.IsNaN(r.BaselineMedianMs) ? null : Math.Round(r.BaselineMedianMs, 2),
            ["ratio_vs_clm"] = double.IsNaN(r.BaselineMedianMs) ? null : Math.Round(r.RatioVsBaseline, 4), ["gflops_per_s"] = Math.Round(r.GflopsPerS, 2), ["flops_basis"] = r.FlopsBasis,
            ["gemm_ceiling_gflops"] = Math.Round(r.GemmCeilingGflops, 2), ["mfu"] = Math.Round(r.Mfu, 4),
            ["precision"] = r.Precision.Name(), ["baseline_precision"] = double.IsNaN(r.BaselineMedianMs) ? null : r.BaselinePrecision.Name(),
            ["bf16_gemm_ceiling_gflops"] = double.IsNaN(r.Bf16CeilingGflops) ? null : Math.Round(r.Bf16CeilingGflops, 2),
            ["fp32_equivalent_mfu"] = Math.Round(r.Fp32EquivalentMfu, 4),
            ["blas_core"] = r.BlasCore, ["threads"] = r.Threads, ["peak_rss_mb"] = Math.Round(r.PeakRssMb, 1), ["cpu"] = r.Cpu,
            ["blas_note"] = BlasWarning(),
            ["step_ms"] = new JsonArray(r.StepMs.Select(x => (JsonNode)Math.Round(x, 2)).ToArray()),
        };
        // Issue 24: the peaks MFU is read against, measured (above) and theoretical (the ISA's, on the cores used).
        o["isa_peak_fp32_gflops"] = r.IsaPeak is { } isa ? Math.Round(isa.Fp32Gflops, 1) : null;
        o["isa_peak_bf16_gflops"] = r.IsaPeak is { } isb && !double.IsNaN(isb.Bf16Gflops) ? Math.Round(isb.Bf16Gflops, 1) : null;
        o["isa_peak"] = r.IsaPeakDescription;
        o["isa_mfu"] = double.IsNaN(r.IsaMfu) ? null : Math.Round(r.IsaMfu, 4);
        if (r.Bf16Kernel is not null)
        {
            o["bf16_kernel"] = r.Bf16Kernel;
            o["matmul_primitives_created"] = r.MatmulPrimitivesCreated;
        }
        if (r.Profile.Count > 0)
            o["profile_ms"] = new JsonObject(r.Profile.Select(p => KeyValuePair.Create(p.Name, (JsonNode?)Math.Round(p.Milliseconds / r.Steps, 2))));
        return o;
    }

    private static void PrintTable(BenchmarkResult r, BackwardMode backwardMode)
    {
        string backward = r.Strategy == ClmSelector.StrategyName ? "" : $"  backward {backwardMode.Name()}";
        Console.WriteLine($"model {r.Model}  B={r.Batch} T={r.Seq}  strategy {r.Strategy}{backward}  precision {r.Precision.Name()}  ({r.Steps} measured steps)");
        Console.WriteLine($"  median step      {r.MedianMs,10:F1} ms   (min {r.MinMs:F1}, mean {r.MeanMs:F1})");
        if (!double.IsNaN(r.BaselineMedianMs))
            Console.WriteLine($"  clm {r.BaselinePrecision.Name()} (alternated) {r.BaselineMedianMs,6:F1} ms   → {r.Strategy} {r.Precision.Name()} / clm {r.BaselinePrecision.Name()} = {r.RatioVsBaseline:F3}");
        Console.WriteLine($"  tokens/s         {r.TokensPerS,10:F0}");
        Console.WriteLine($"  FLOPs/step       {r.FlopsPerStep / 1e9,10:F2} GFLOP (6·N·B·T + 12·L·C·T·B·T); GEMMs executed {r.ExecutedFlopsPerStep / 1e9:F2} GFLOP");
        if (r.Strategy != ClmSelector.StrategyName)
            Console.WriteLine($"  selection        kept {r.KeptFraction * 100:F1} % of tokens; accounted {r.AccountedFlopsPerStep / 1e9:F2} GFLOP/step (2·N·M + 4·N·kept + auxiliary)");
        Console.WriteLine($"  achieved         {r.GflopsPerS,10:F1} GFLOP/s" + (r.FlopsBasis == "formula" ? "" : " (from the GEMM FLOPs executed)"));
        Console.WriteLine($"  SGEMM ceiling    {r.GemmCeilingGflops,10:F1} GFLOP/s (best of {string.Join(", ", r.Ceiling.Select(c => $"{c.Shape.Name} {c.GflopsPerSecond:F0}"))})");
        if (r.Precision == Precision.Bf16)
        {
            Console.WriteLine($"  bf16 ceiling     {r.Bf16CeilingGflops,10:F1} GFLOP/s (oneDNN {r.Bf16Kernel}; best of {string.Join(", ", r.Bf16Ceiling.Select(c => $"{c.Shape.Name} {c.GflopsPerSecond:F0}"))})");
            if (r.MatmulPrimitivesCreated > 0)
                Console.WriteLine($"  matmul primitives created during the measured steps: {r.MatmulPrimitivesCreated} (new shapes, e.g. kept-row counts)");
            Console.WriteLine($"  MFU (bf16)       {r.Mfu * 100,10:F1} %   of the bf16 ceiling");
            Console.WriteLine($"  fp32-equiv. MFU  {r.Fp32EquivalentMfu * 100,10:F1} %   of the SGEMM ceiling (comparable with fp32 runs)");
        }
        else Console.WriteLine($"  MFU              {r.Mfu * 100,10:F1} %");
        if (r.IsaPeakDescription is { } peak)
        {
            Console.WriteLine($"  ISA peak         {peak}");
            Console.WriteLine($"  MFU (ISA peak)   {r.IsaMfu * 100,10:F1} %   of the theoretical peak (same meaning on every CPU)");
        }
        Console.WriteLine($"  OpenBLAS core    {r.BlasCore,10}   threads {r.Threads}   peak RSS {r.PeakRssMb:F0} MiB");
        Console.WriteLine($"  CPU              {r.Cpu}");
        if (BlasWarning() is { } warning) Console.WriteLine($"  note: {warning}");
        if (r.Profile.Count == 0) return;
        Console.WriteLine("  per-op time per step:");
        double total = r.Profile.Sum(p => p.Milliseconds);
        foreach (var (name, ms, _) in r.Profile)
            Console.WriteLine($"    {name,-20} {ms / r.Steps,9:F1} ms  {100 * ms / total,5:F1} %");
    }

    /// <summary>Says so when an AVX-512 machine runs OpenBLAS's narrower kernels because of the user's own OPENBLAS_CORETYPE.</summary>
    public static string? BlasWarning()
    {
        string? set = Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE");
        if (!MachineInfo.HasAvx512 || string.IsNullOrEmpty(set) || set.Equals("SkylakeX", StringComparison.OrdinalIgnoreCase)) return null;
        return $"OPENBLAS_CORETYPE={set} is set in the environment, so OpenBLAS uses its {OpenBlas.CoreName} kernels on this AVX-512 CPU; " +
               "unset it (Eslm then picks SkylakeX) for about 2x faster GEMMs.";
    }

    /// <summary>
    /// `--gemm` where oneDNN runs: every GEMM shape of a dense step through OpenBLAS fp32, oneDNN fp32 and oneDNN bf16,
    /// measured back to back per shape (the fp32 ceiling is still OpenBLAS's, on the usual three shapes).
    /// </summary>
    private static int PrintLibraries(Eslm.Model.GptConfig cfg, int B, int T, bool json)
    {
        var request = Bf16Kernels.FromEnvironment();
        var shapes = TrainingBenchmark.AllShapesOf(cfg, B, T).ToList();
        var rows = shapes.Select(s => (Shape: s,
            Blas: GemmCeiling.Measure([s]).Single().GflopsPerSecond,
            DnnFp32: GemmCeiling.Measure([s], library: GemmCeiling.Library.OneDnnFp32).Single().GflopsPerSecond,
            DnnBf16: GemmCeiling.Measure([s], library: GemmCeiling.Library.OneDnnBf16).Single().GflopsPerSecond,
            Matmul: GemmCeiling.Measure([s], library: GemmCeiling.Library.OneDnnBf16Matmul).Single().GflopsPerSecond,
            Implementation: GemmCeiling.MatmulImplementation(s),
            Engine: Bf16Kernels.Choose(request, OneDnn.HasAmxBf16, s.M, s.N, s.K))).ToList();
        double EngineRate((GemmCeiling.Shape, double, double, double DnnBf16, double Matmul, string, OneDnn.Kernel Engine) x) =>
            x.Engine == OneDnn.Kernel.Matmul ? x.Matmul : x.DnnBf16;
        string kernels = TrainingBenchmark.DescribeBf16Kernels(shapes);
        var peak = IsaPeak.OfThisProcess();
        if (json)
        {
            var o = new JsonObject
            {
                ["blas_core"] = OpenBlas.CoreName, ["threads"] = OpenBlas.Threads,
                ["shapes"] = new JsonArray(rows.Select(x => (JsonNode)new JsonObject
                {
                    ["name"] = x.Shape.Name, ["m"] = x.Shape.M, ["n"] = x.Shape.N, ["k"] = x.Shape.K,
                    ["openblas_fp32_gflops"] = Math.Round(x.Blas, 2), ["onednn_fp32_gflops"] = Math.Round(x.DnnFp32, 2),
                    ["onednn_bf16_gflops"] = Math.Round(x.DnnBf16, 2),
                    ["onednn_bf16_matmul_gflops"] = Math.Round(x.Matmul, 2), ["onednn_bf16_matmul_impl"] = x.Implementation,
                    ["bf16_kernel"] = x.Engine.Name(),
                }).ToArray()),
                ["bf16_kernel"] = kernels, ["amx_bf16"] = OneDnn.HasAmxBf16,
                ["isa_peak_fp32_gflops"] = peak is null ? null : Math.Round(peak.Fp32Gflops, 1),
                ["isa_peak_bf16_gflops"] = peak is null || double.IsNaN(peak.Bf16Gflops) ? null : Math.Round(peak.Bf16Gflops, 1),
            };
            Console.WriteLine(o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }
        Console.WriteLine($"OpenBLAS core {OpenBlas.CoreName}, {OpenBlas.Threads} threads; GFLOP/s, best of 3 per shape; " +
                          $"bf16 gemm = oneDNN's jit GEMM, bf16 matmul = its matmul primitive (weights packed); the engine uses {kernels}");
        if (peak is not null)
            Console.WriteLine($"ISA peak: fp32 {IsaPeak.Describe(peak.Cores, peak.Ghz, peak.Fp32FlopPerCycle, peak.Fp32Isa)}" +
                              (double.IsNaN(peak.Bf16Gflops) ? "" : $"; bf16 {IsaPeak.Describe(peak.Cores, peak.Ghz, peak.Bf16FlopPerCycle, peak.Bf16Isa)}"));
        Console.WriteLine($"  {"shape",-14} {"m×n×k",-18} {"OpenBLAS fp32",14} {"oneDNN fp32",12} {"bf16 gemm",10} {"bf16 matmul",12}  {"engine",-7} matmul kernel");
        foreach (var x in rows)
            Console.WriteLine($"  {x.Shape.Name,-14} {$"{x.Shape.M}x{x.Shape.N}x{x.Shape.K}",-18} {x.Blas,14:F1} {x.DnnFp32,12:F1} {x.DnnBf16,10:F1} {x.Matmul,12:F1}  {x.Engine.Name(),-7} {x.Implementation}");
        Console.WriteLine($"  totals (time-weighted): OpenBLAS fp32 {Harmonic(rows.Select(x => (x.Shape, x.Blas))):F1}, " +
                          $"oneDNN fp32 {Harmonic(rows.Select(x => (x.Shape, x.DnnFp32))):F1}, bf16 gemm {Harmonic(rows.Select(x => (x.Shape, x.DnnBf16))):F1}, " +
                          $"bf16 matmul {Harmonic(rows.Select(x => (x.Shape, x.Matmul))):F1}, bf16 engine {Harmonic(rows.Select(x => (x.Shape, EngineRate(x)))):F1} GFLOP/s");
        return 0;
    }

    /// <summary>All shapes' FLOPs over their summed time: the rate of one dense step's GEMMs.</summary>
    private static double Harmonic(IEnumerable<(GemmCeiling.Shape Shape, double Gflops)> rows)
    {
        double flops = 0, seconds = 0;
        foreach (var (s, g) in rows) { double f = 2.0 * s.M * s.N * s.K; flops += f; seconds += f / (g * 1e9); }
        return flops / seconds / 1e9;
    }

    private static int PrintCeiling(IReadOnlyList<GemmCeiling.Measurement> ms, bool json)
    {
        var peak = IsaPeak.OfThisProcess();
        if (json)
        {
            var o = new JsonObject
            {
                ["blas_core"] = OpenBlas.CoreName, ["threads"] = OpenBlas.Threads,
                ["gemm_ceiling_gflops"] = Math.Round(ms.Max(m => m.GflopsPerSecond), 2),
                ["isa_peak_fp32_gflops"] = peak is null ? null : Math.Round(peak.Fp32Gflops, 1),
                ["shapes"] = new JsonArray(ms.Select(m => (JsonNode)new JsonObject
                {
                    ["name"] = m.Shape.Name, ["m"] = m.Shape.M, ["n"] = m.Shape.N, ["k"] = m.Shape.K, ["gflops"] = Math.Round(m.GflopsPerSecond, 2),
                }).ToArray()),
            };
            Console.WriteLine(o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }
        Console.WriteLine($"OpenBLAS core {OpenBlas.CoreName}, {OpenBlas.Threads} threads");
        if (BlasWarning() is { } warning) Console.WriteLine($"note: {warning}");
        foreach (var m in ms) Console.WriteLine($"  {m.Shape.Name,-10} {m.Shape.M}x{m.Shape.N}x{m.Shape.K}: {m.GflopsPerSecond,8:F1} GFLOP/s");
        Console.WriteLine($"  ceiling: {ms.Max(m => m.GflopsPerSecond):F1} GFLOP/s");
        if (peak is not null) Console.WriteLine($"  ISA peak: {IsaPeak.Describe(peak.Cores, peak.Ghz, peak.Fp32FlopPerCycle, peak.Fp32Isa)}");
        return 0;
    }
}
