using System.CommandLine;
using Eslm.Model;
using Eslm.Selection;
using Eslm.Training;
using Eslm.Data;

namespace Eslm.Cli;

/// <summary>Token-selection flags shared by `train`, `bench` and experiments (docs/selection.md explains each).</summary>
public sealed class SelectionCliOptions
{
    public Option<string> Strategy { get; } = new("--strategy") { Description = $"Token selection: {string.Join(", ", SelectionOptions.StrategyNames)}", DefaultValueFactory = _ => "clm" };
    public Option<string> Score { get; } = new("--score") { Description = "eslm/ada-eslm/hierarchical score: loss or entropy", DefaultValueFactory = _ => "loss" };
    public Option<double> Alpha { get; } = new("--alpha") { Description = "ESLM risk level α in [0,1): drop tokens scoring below VaR_α", DefaultValueFactory = _ => 0.5 };
    public Option<double> Keep { get; } = new("--keep") { Description = "rho1/random: fraction of tokens kept, in (0,1]", DefaultValueFactory = _ => 0.6 };
    public Option<string> Scope { get; } = new("--selection-scope") { Description = "Threshold over: sequence, microbatch, step (all micro-batches of an optimizer step), global", DefaultValueFactory = _ => "microbatch" };
    public Option<string> Normalize { get; } = new("--normalize") { Description = "Divide kept losses by the kept count (kept) or by all tokens (all)", DefaultValueFactory = _ => "kept" };
    public Option<string> Backward { get; } = new("--backward") { Description = "kept-rows (every layer's backward over kept tokens only; dropped tokens' keys/values are constants) or exact (the exact gradient of the selected loss)", DefaultValueFactory = _ => "kept-rows" };
    public Option<ulong> SelectionSeed { get; } = new("--selection-seed") { Description = "Seed of the random strategy's mask stream", DefaultValueFactory = _ => 1234UL };
    public Option<string> AdaRule { get; } = new("--ada-rule") { Description = "ada-eslm rule: schedule or ratio", DefaultValueFactory = _ => "schedule" };
    public Option<double> AlphaStart { get; } = new("--alpha-start") { Description = "ada-eslm schedule: α at the first step", DefaultValueFactory = _ => 0.2 };
    public Option<double> AlphaEnd { get; } = new("--alpha-end") { Description = "ada-eslm schedule: α at the last step", DefaultValueFactory = _ => 0.6 };
    public Option<string> AdaSchedule { get; } = new("--ada-schedule") { Description = "ada-eslm schedule shape: linear or cosine", DefaultValueFactory = _ => "linear" };
    public Option<double> AdaTargetRatio { get; } = new("--ada-target-ratio") { Description = "ada-eslm ratio rule: target (kept loss)/(all loss)", DefaultValueFactory = _ => 1.3 };
    public Option<double> AdaRate { get; } = new("--ada-rate") { Description = "ada-eslm ratio rule: α step per unit of ratio error", DefaultValueFactory = _ => 0.05 };
    public Option<double> AlphaMin { get; } = new("--alpha-min") { Description = "ada-eslm ratio rule: lowest α", DefaultValueFactory = _ => 0.1 };
    public Option<double> AlphaMax { get; } = new("--alpha-max") { Description = "ada-eslm ratio rule: highest α", DefaultValueFactory = _ => 0.9 };
    public Option<string?> Reference { get; } = new("--reference") { Description = "rho1: reference model checkpoint (or preset:NAME for a random one, for benchmarks)" };
    public Option<bool> ReferenceOnline { get; } = new("--reference-online") { Description = "rho1: run the frozen reference on every batch (its forward is counted); the default with --reference" };
    public Option<string?> ReferenceLosses { get; } = new("--reference-losses") { Description = "rho1: precomputed reference losses of the training split (eslm score) instead of an online reference" };
    public Option<string?> Teacher { get; } = new("--teacher") { Description = "eslm-kd: teacher checkpoint (or preset:NAME)" };
    public Option<string> KdScore { get; } = new("--kd-score") { Description = "eslm-kd score: teacher-entropy, teacher-loss or kl", DefaultValueFactory = _ => "teacher-entropy" };
    public Option<float> KdLambda { get; } = new("--kd-lambda") { Description = "eslm-kd: weight λ of the distillation term (0 = selection only)", DefaultValueFactory = _ => 0f };
    public Option<float> KdTemperature { get; } = new("--kd-temperature") { Description = "eslm-kd: distillation temperature τ", DefaultValueFactory = _ => 1f };
    public Option<int> ProxyLayers { get; } = new("--proxy-layers") { Description = "hierarchical: layers of the early-exit proxy", DefaultValueFactory = _ => 1 };
    public Option<double> SequenceAlpha { get; } = new("--sequence-alpha") { Description = "hierarchical: sequence-level risk level β", DefaultValueFactory = _ => 0.25 };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Strategy, Score, Alpha, Keep, Scope, Normalize, Backward, SelectionSeed, AdaRule, AlphaStart, AlphaEnd, AdaSchedule,
                     AdaTargetRatio, AdaRate, AlphaMin, AlphaMax, Reference, ReferenceOnline, ReferenceLosses, Teacher, KdScore, KdLambda, KdTemperature,
                     ProxyLayers, SequenceAlpha })
            command.Options.Add(o);
    }

    public SelectionOptions Resolve(ParseResult r) => new SelectionOptions
    {
        Strategy = r.GetValue(Strategy)!,
        Score = ParseEnum<ScoreKind>(r.GetValue(Score)!, "--score"),
        Alpha = r.GetValue(Alpha), Keep = r.GetValue(Keep),
        Scope = ParseEnum<SelectionScope>(r.GetValue(Scope)!, "--selection-scope"),
        Normalize = ParseEnum<Normalization>(r.GetValue(Normalize)!, "--normalize"),
        Backward = ParseEnum<BackwardMode>(r.GetValue(Backward)!, "--backward"),
        Seed = r.GetValue(SelectionSeed),
        AdaRule = ParseEnum<AdaRule>(r.GetValue(AdaRule)!, "--ada-rule"),
        AlphaStart = r.GetValue(AlphaStart), AlphaEnd = r.GetValue(AlphaEnd), AdaSchedule = r.GetValue(AdaSchedule)!,
        AdaTargetRatio = r.GetValue(AdaTargetRatio), AdaRate = r.GetValue(AdaRate), AlphaMin = r.GetValue(AlphaMin), AlphaMax = r.GetValue(AlphaMax),
        Reference = r.GetValue(Reference), ReferenceLosses = r.GetValue(ReferenceLosses),
        ReferenceOnline = r.GetValue(ReferenceOnline) || (r.GetValue(Reference) is not null && r.GetValue(ReferenceLosses) is null),
        Teacher = r.GetValue(Teacher),
        KdScore = ParseEnum<KdScore>(r.GetValue(KdScore)!, "--kd-score"),
        KdLambda = r.GetValue(KdLambda), KdTemperature = r.GetValue(KdTemperature),
        ProxyLayers = r.GetValue(ProxyLayers), SequenceAlpha = r.GetValue(SequenceAlpha),
    }.Validate();

    private static readonly System.Text.Json.JsonSerializerOptions JsonNames = new()
    {
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.KebabCaseLower) },
    };

    /// <summary>The options as JSON with snake_case keys and kebab-case enum values (for run.json and checkpoints).</summary>
    public static System.Text.Json.Nodes.JsonNode ToJson(SelectionOptions o) =>
        System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(o, JsonNames))!;

    /// <summary>Accepts kebab-case names ("teacher-entropy") for enum members ("TeacherEntropy").</summary>
    public static T ParseEnum<T>(string value, string flag) where T : struct, Enum
    {
        string compact = value.Replace("-", "");
        foreach (var name in Enum.GetNames<T>())
            if (string.Equals(name, compact, StringComparison.OrdinalIgnoreCase)) return Enum.Parse<T>(name);
        string known = string.Join(", ", Enum.GetNames<T>().Select(n => string.Concat(n.Select((c, i) => i > 0 && char.IsUpper(c) ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()))));
        throw new ArgumentException($"{flag} must be one of {known} (got '{value}')");
    }

    /// <summary>
    /// Builds the trainer for the chosen strategy. Auxiliary models load through <see cref="ModelLoader"/>.
    /// </summary>
    public static Trainer CreateTrainer(Gpt model, TrainOptions options, IBatchSource data, SelectionOptions selection) =>
        new(model, options, data, StrategyFactory.Create(selection, ModelLoader.Load), selection);
}
