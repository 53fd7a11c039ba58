using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Eslm.Model;
using Eslm.Selection;
using Eslm.Tensors;
using Eslm.Training;

namespace Eslm.Experiments;

/// <summary>How arms are matched: every arm trains until its running total of this quantity reaches <see cref="Budget.Value"/>.</summary>
public enum BudgetKind { Steps, FlopsAccounted, FlopsExecuted, WallSeconds }

public sealed record Budget(BudgetKind Kind, double Value)
{
    public static readonly string[] Names = ["steps", "flops_accounted", "flops_executed", "wall_seconds"];

    public string Name => Names[(int)Kind];

    /// <summary>
    /// A value as people write budgets, exactly (it names folders): "40", "0.5", "8.16e11", "1.3459e13". Large values
    /// are written as mantissa·10^e with the shortest mantissa that is exact in decimal.
    /// </summary>
    public static string Format(double value)
    {
        if (Math.Abs(value) < 1e5 || Math.Abs(value) >= 1e28) return value.ToString("R", CultureInfo.InvariantCulture).Replace("E+", "e");
        decimal exact = (decimal)value;
        int exponent = (int)Math.Floor(Math.Log10(Math.Abs(value)));
        decimal mantissa = exact / (decimal)Math.Pow(10, exponent);
        if (Math.Abs(mantissa) >= 10) { mantissa /= 10; exponent++; }
        return $"{mantissa.ToString("0.############################", CultureInfo.InvariantCulture)}e{exponent}";
    }

    /// <summary>What the arm has spent so far, in the budget's unit.</summary>
    public double Spent(Trainer t) => Kind switch
    {
        BudgetKind.Steps => t.StepIndex,
        BudgetKind.FlopsAccounted => t.TotalFlopsAccounted,
        BudgetKind.FlopsExecuted => t.TotalFlopsExecuted,
        _ => t.TotalMilliseconds / 1000.0,
    };
}

/// <summary>A dataset evaluated after training: its name in the report, its path, and whether it is the training domain.</summary>
public sealed record EvalSet(string Name, string Data, bool InDomain);

/// <summary>A downstream task file: <c>hellaswag</c> (multiple choice) or <c>cloze</c>.</summary>
public sealed record TaskSpec(string Task, string File);

/// <summary>One arm: a name, the selection options (a strategy and its settings) and optional training overrides.</summary>
public sealed record ArmSpec(string Name, SelectionOptions Selection, TrainOptions Train)
{
    /// <summary>The arm's strategy and the options that matter for it, in a few words (e.g. "eslm loss α=0.5").</summary>
    public string Describe() => Describe(Selection, Train.Backward);

    /// <summary>The strategy's own label (<see cref="StrategyDefinition.Describe"/>), and the backward mode when it is not the default.</summary>
    public static string Describe(SelectionOptions s, BackwardMode backward)
    {
        // The backward mode matters only when tokens are dropped; named when it is not the default.
        string mode = s.Strategy == "clm" || backward == new TrainOptions().Backward ? "" : $", {backward.Name()} backward";
        return StrategyRegistry.Get(s.Strategy).Describe(s) + mode;
    }

    /// <summary><see cref="Describe()"/> plus the GEMM precision when it is not fp32 (", bf16").</summary>
    public string DescribeWithPrecision() => Describe() + (Train.Precision == Precision.Fp32 ? "" : $", {Train.Precision.Name()}");
}

/// <summary>The model trained first for arms that name <c>"@reference"</c> (Rho-1's reference, or an ESLM-KD teacher).</summary>
public sealed record ReferenceSpec(string Data, GptConfig Model, string ModelName, TrainOptions Train);

/// <summary>
/// An experiment file (JSON, snake_case keys): a base configuration plus arms, seeds and a matched budget.
/// Relative paths are taken from the current directory. See docs/experiments.md for every key.
/// </summary>
public sealed record ExperimentSpec
{
    public required string Name { get; init; }
    public string Description { get; init; } = "";
    public required string ModelName { get; init; }
    public required GptConfig Model { get; init; }
    public required TrainOptions Train { get; init; }
    public required string Data { get; init; }
    public string? ValidationData { get; init; }
    /// <summary>The first grid point's budget (the only one unless the file lists "budgets").</summary>
    public Budget Budget => Points[0].Budget;
    /// <summary>Every model size × budget the arms run at; one point for a plain experiment (see <see cref="GridPoint"/>).</summary>
    public required IReadOnlyList<GridPoint> Points { get; init; }
    /// <summary>The file lists "models" (a folder level per model) / "budgets" (a folder level per budget).</summary>
    public bool HasModelAxis { get; init; }
    public bool HasBudgetAxis { get; init; }
    public required IReadOnlyList<ulong> Seeds { get; init; }
    public required IReadOnlyList<ArmSpec> Arms { get; init; }
    public IReadOnlyList<EvalSet> Eval { get; init; } = [];
    public IReadOnlyList<TaskSpec> Tasks { get; init; } = [];
    public long EvalMaxTokens { get; init; }
    public int ValidationEvery => Train.ValidationEvery;
    public int ValidationBatches => Train.ValidationBatches;
    public int CheckpointEvery => Train.CheckpointEvery;
    public ReferenceSpec? Reference { get; init; }
    /// <summary>The file as read (saved beside the runs so reports can be rebuilt from the directory alone).</summary>
    public required JsonObject Source { get; init; }

    /// <summary>The most steps any arm may take (a step budget, or the cap of the others).</summary>
    public const int MaxStepCap = int.MaxValue - 1;

    public static ExperimentSpec Load(string path)
    {
        if (!System.IO.File.Exists(path)) throw new FileNotFoundException($"{path}: experiment file not found");
        JsonNode? node;
        try { node = JsonNode.Parse(System.IO.File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message})"); }
        if (node is not JsonObject root) throw new InvalidDataException($"{path}: expected a JSON object");
        try { return Parse(root); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or JsonException or KeyNotFoundException)
        {
            throw new InvalidDataException($"{path}: {e.Message}");
        }
    }

    private static readonly string[] TopKeys =
    [
        "name", "description", "model", "models", "train", "data", "val_data", "budget", "budgets", "seeds", "arms", "eval", "tasks", "eval_max_tokens",
        "val_every", "val_batches", "checkpoint_every", "reference",
    ];

    public static ExperimentSpec Parse(JsonObject root)
    {
        CheckKeys(root, TopKeys, "the experiment");
        string name = Str(root, "name") ?? throw new ArgumentException("needs \"name\"");
        if (name.Length == 0 || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name.Contains(' '))
            throw new ArgumentException($"\"name\" must be a plain folder name (got '{name}')");
        var models = ParseModels(root);
        var (modelName, model) = (models[0].Name, models[0].Config);
        var train = ParseTrain(root["train"] as JsonObject, RunLevel(root, new TrainOptions
        {
            SequenceLength = models.Min(m => m.Config.MaxSequenceLength), ValidationEvery = 50, ValidationBatches = 8, CheckpointEvery = 50, KeepLast = 1,
        }), "train");
        foreach (var m in models)
            if (train.SequenceLength > m.Config.MaxSequenceLength)
                throw new ArgumentException($"train.seq {train.SequenceLength} exceeds the context of model {m.Name} ({m.Config.MaxSequenceLength})");
        var topBudgets = ParseBudgets(root);
        if (models.Any(m => m.Budgets is null) && topBudgets is null)
            throw new ArgumentException("needs \"budget\", e.g. {\"steps\": 200} or {\"flops_accounted\": 1e13} (or \"budgets\": a list of them)");
        var budget = (models[0].Budgets ?? topBudgets!)[0];
        if (budget.Kind == BudgetKind.Steps) train = train with { Steps = (int)budget.Value };
        bool modelAxis = root.ContainsKey("models"), budgetAxis = root.ContainsKey("budgets") || models.Any(m => m.Budgets is not null);
        var points = GridPoints(models, topBudgets, train.Steps, modelAxis, budgetAxis);
        if (root["seeds"] is { } seedsNode && seedsNode is not JsonArray)
            throw new ArgumentException($"\"seeds\" must be a list of integers, e.g. [1, 2, 3] (got {seedsNode.ToJsonString()})");
        var seeds = root["seeds"] is JsonArray s
            ? s.Select(x => x is JsonValue v && v.TryGetValue(out ulong seed) ? seed
                : throw new ArgumentException($"\"seeds\" must be a list of non-negative integers (got {x?.ToJsonString() ?? "null"})")).ToList()
            : [train.Seed];
        if (seeds.Count == 0 || seeds.Distinct().Count() != seeds.Count) throw new ArgumentException("\"seeds\" must be a non-empty list of distinct integers");

        var arms = new List<ArmSpec>();
        foreach (var a in root["arms"] as JsonArray ?? throw new ArgumentException("needs \"arms\": a list of {\"name\", \"strategy\", …}"))
        {
            if (a is not JsonObject arm) throw new ArgumentException("each arm must be an object");
            string armName = Str(arm, "name") ?? Str(arm, "strategy") ?? throw new ArgumentException("each arm needs \"name\" or \"strategy\"");
            if (armName.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || armName.Contains(' '))
                throw new ArgumentException($"arm name '{armName}' must be a plain folder name");
            if (arms.Any(x => x.Name == armName)) throw new ArgumentException($"two arms are named '{armName}'");
            var armTrain = arm["train"] is JsonObject t ? ParseTrain(t, train, $"arm {armName}: train") : train;
            if (budget.Kind == BudgetKind.Steps) armTrain = armTrain with { Steps = (int)budget.Value };
            var selectionJson = new JsonObject();
            foreach (var (k, v) in arm)
                if (k is not ("name" or "train")) selectionJson[FlagAliases.GetValueOrDefault(k, k)] = v?.DeepClone();
            SelectionOptions selection;
            try
            {
                // "backward" sits with the selection keys (as in run.json) but is a training option
                selection = SelectionBinding.FromJson(selectionJson, (key, value) => armTrain = key == "backward"
                    ? armTrain with { Backward = ParseBackward(value) }
                    : throw new ArgumentException($"unknown key '{key}' (known: name, train, backward, {string.Join(", ", SelectionBinding.AllKeys)})"));
            }
            catch (ArgumentException e) { throw new ArgumentException($"arm {armName}: {e.Message}"); }
            arms.Add(new ArmSpec(armName, selection, armTrain.Validate()));
        }
        if (arms.Count == 0) throw new ArgumentException("\"arms\" is empty");

        ReferenceSpec? reference = null;
        if (root["reference"] is JsonObject r)
        {
            CheckKeys(r, ["data", "model", "train"], "reference");
            var (refName, refModel) = r["model"] is { } m ? ParseModel(m) : (modelName, model);
            var refTrain = ParseTrain(r["train"] as JsonObject, train, "reference.train");
            reference = new ReferenceSpec(Str(r, "data") ?? throw new ArgumentException("reference needs \"data\" (the clean dataset)"), refModel, refName, refTrain.Validate());
        }
        foreach (var arm in arms)
        {
            bool usesReference = SelectionBinding.Paths(arm.Selection).Any(p => p.Path == ReferenceName);
            if (usesReference && reference is null) throw new ArgumentException($"arm {arm.Name} names \"@reference\" but the experiment has no \"reference\" section");
            // A model or file named for another strategy would be ignored silently (issue 13 item 20).
            if (SelectionBinding.IgnoredSettings(arm.Selection).FirstOrDefault(s => s.IsPath) is { } ignored)
                throw new ArgumentException($"arm {arm.Name}: \"{ignored.Key}\" belongs to strategy {ignored.Owner.Name}, so \"{arm.Selection.Strategy}\" would ignore it");
            try { SelectionBinding.Resolved(WithReference(arm.Selection, "reference.checkpoint")).Validate(); }
            catch (ArgumentException e) { throw new ArgumentException($"arm {arm.Name}: {e.Message}"); }
        }

        var eval = new List<EvalSet>();
        foreach (var e in root["eval"] as JsonArray ?? [])
        {
            if (e is not JsonObject o) throw new ArgumentException("each \"eval\" entry must be {\"name\", \"data\", \"domain\": \"in\"|\"out\"}");
            CheckKeys(o, ["name", "data", "domain"], "eval entry");
            string domain = Str(o, "domain") ?? "in";
            if (domain is not ("in" or "out")) throw new ArgumentException($"eval domain must be \"in\" or \"out\" (got '{domain}')");
            string data = Str(o, "data") ?? throw new ArgumentException("eval entry needs \"data\"");
            string setName = Str(o, "name") ?? Path.GetFileName(data.TrimEnd('/'));
            // The report's per-set table is keyed by name: two sets of one name would show one set's numbers for both.
            if (eval.Any(x => x.Name == setName)) throw new ArgumentException($"two eval sets are named '{setName}' (give each a distinct \"name\")");
            eval.Add(new EvalSet(setName, data, domain == "in"));
        }
        var tasks = new List<TaskSpec>();
        foreach (var e in root["tasks"] as JsonArray ?? [])
        {
            if (e is not JsonObject o) throw new ArgumentException("each \"tasks\" entry must be {\"task\": \"hellaswag\"|\"cloze\", \"file\"}");
            CheckKeys(o, ["task", "file"], "tasks entry");
            string task = Str(o, "task") ?? "";
            if (task is not ("hellaswag" or "cloze")) throw new ArgumentException($"task must be hellaswag or cloze (got '{task}')");
            tasks.Add(new TaskSpec(task, Str(o, "file") ?? throw new ArgumentException("tasks entry needs \"file\"")));
        }
        var spec = new ExperimentSpec
        {
            Name = name, Description = Str(root, "description") ?? "", ModelName = modelName, Model = model, Train = train.Validate(),
            Data = Str(root, "data") ?? throw new ArgumentException("needs \"data\" (the training dataset)"), ValidationData = Str(root, "val_data"),
            Seeds = seeds, Arms = arms, Eval = eval, Tasks = tasks, Points = points, HasModelAxis = modelAxis, HasBudgetAxis = budgetAxis,
            EvalMaxTokens = root["eval_max_tokens"]?.GetValue<long>() ?? 0,
            Reference = reference, Source = (JsonObject)root.DeepClone(),
        };
        return spec;
    }

    /// <summary>Arm keys spelled after `eslm train`'s flags where they differ from the option names.</summary>
    /// <summary>What an arm writes for "the model trained by the reference section" (Rho-1's reference, a KD teacher).</summary>
    public const string ReferenceName = "@reference";

    /// <summary>
    /// The arm's selection with every path setting that names <see cref="ReferenceName"/> replaced: a model setting by the
    /// reference's <paramref name="checkpoint"/>, a reference-loss setting by its <paramref name="losses"/> sidecar over the
    /// training split (<see cref="SettingAttribute.IsReferenceLosses"/>).
    /// </summary>
    public static SelectionOptions WithReference(SelectionOptions selection, string? checkpoint, string? losses = null)
    {
        foreach (var setting in StrategyRegistry.Settings.Where(s => s.IsPath))
            if (setting.ValueIn(selection) as string == ReferenceName)
                selection = setting.Set(selection, setting.IsReferenceLosses ? losses ?? "reference.losses" : checkpoint);
        return selection;
    }

    /// <summary>Whether an arm reads the reference's loss sidecar (the runner then scores the training split once).</summary>
    public static bool UsesReferenceLosses(ArmSpec arm) =>
        StrategyRegistry.Settings.Any(s => s.IsReferenceLosses && s.ValueIn(arm.Selection) as string == ReferenceName);

    private static BackwardMode ParseBackward(JsonNode? value) =>
        value?.GetValueKind() == JsonValueKind.String && Enum.TryParse<BackwardMode>(value.GetValue<string>().Replace("-", ""), ignoreCase: true, out var mode)
            ? mode : throw new ArgumentException($"'backward': {value?.ToJsonString()} is not a valid value (exact, kept-rows)");

    private static readonly Dictionary<string, string> FlagAliases = new() { ["selection_scope"] = "scope", ["selection_seed"] = "seed" };

    private static (string, GptConfig) ParseModel(JsonNode node)
    {
        if (node.GetValueKind() == JsonValueKind.String)
        {
            string preset = node.GetValue<string>();
            return (preset, GptConfig.FromPreset(preset).Validated());
        }
        if (node is not JsonObject o) throw new ArgumentException("\"model\" must be a preset name or {\"preset\", \"layers\", \"heads\", \"channels\", \"context\", \"vocab\"}");
        CheckKeys(o, ["preset", "layers", "heads", "channels", "context", "vocab"], "model");
        string name = Str(o, "preset") ?? "tiny";
        var c = GptConfig.FromPreset(name);
        c = c with
        {
            Layers = o["layers"]?.GetValue<int>() ?? c.Layers, Heads = o["heads"]?.GetValue<int>() ?? c.Heads,
            Channels = o["channels"]?.GetValue<int>() ?? c.Channels, MaxSequenceLength = o["context"]?.GetValue<int>() ?? c.MaxSequenceLength,
            VocabSize = o["vocab"]?.GetValue<int>() ?? c.VocabSize,
        };
        bool custom = o.Count > (o.ContainsKey("preset") ? 1 : 0);
        return (custom ? name + "*" : name, c.Validated());
    }

    /// <summary>The run-level options an experiment writes at its top level ("val_every": 50), which every arm shares.</summary>
    private static TrainOptions RunLevel(JsonObject root, TrainOptions basis)
    {
        var top = new JsonObject();
        foreach (var key in new[] { "val_every", "val_batches", "checkpoint_every" })
            if (root.ContainsKey(key)) top[key] = root[key]?.DeepClone();
        return TrainOptionsBinding.Read(top, basis, "");
    }

    /// <summary>A "train" object: any option of <see cref="TrainOptions"/> by its key.</summary>
    private static TrainOptions ParseTrain(JsonObject? o, TrainOptions basis, string where) =>
        o is null ? basis : TrainOptionsBinding.Read(o, basis, where + ".");

    private sealed record ModelEntry(string Name, GptConfig Config, IReadOnlyList<Budget>? Budgets);

    /// <summary>"model" (one) or "models" (a list of presets, model objects, or {"model": …, "budgets": […]}).</summary>
    private static List<ModelEntry> ParseModels(JsonObject root)
    {
        if (root.ContainsKey("model") && root.ContainsKey("models")) throw new ArgumentException("give \"model\" or \"models\", not both");
        if (root["models"] is { } list)
        {
            if (list is not JsonArray array || array.Count == 0)
                throw new ArgumentException("\"models\" must be a non-empty list of presets or model objects, e.g. [\"tiny\", \"d2\"]");
            var entries = new List<ModelEntry>();
            foreach (var item in array)
            {
                ModelEntry entry;
                if (item is JsonObject o && o.ContainsKey("model"))
                {
                    CheckKeys(o, ["model", "budgets"], "models entry");
                    var (n, c) = ParseModel(o["model"]!);
                    entry = new ModelEntry(n, c, o.ContainsKey("budgets") ? ParseBudgetList(o["budgets"], $"model {n}: \"budgets\"") : null);
                }
                else
                {
                    var (n, c) = ParseModel(item ?? throw new ArgumentException("\"models\" holds a null"));
                    entry = new ModelEntry(n, c, null);
                }
                if (entries.Any(e => GridPoint.ModelFolder(e.Name) == GridPoint.ModelFolder(entry.Name)))
                    throw new ArgumentException($"\"models\" lists {entry.Name} twice (each model needs its own folder; customise one with \"preset\" and a new size)");
                entries.Add(entry);
            }
            return entries;
        }
        var (name, config) = ParseModel(root["model"] ?? throw new ArgumentException("needs \"model\" (a preset name or an object)"));
        return [new ModelEntry(name, config, null)];
    }

    /// <summary>"budget" (one) or "budgets" (a list); null when neither is given.</summary>
    private static IReadOnlyList<Budget>? ParseBudgets(JsonObject root)
    {
        if (root.ContainsKey("budget") && root.ContainsKey("budgets")) throw new ArgumentException("give \"budget\" or \"budgets\", not both");
        if (root["budgets"] is { } list) return ParseBudgetList(list, "\"budgets\"");
        if (root["budget"] is null) return null;
        return [ParseBudget(root["budget"] as JsonObject ?? throw new ArgumentException("\"budget\" must be an object, e.g. {\"steps\": 200}"))];
    }

    /// <summary>A list of budgets of one kind in increasing order (the trend axis), e.g. [{"steps": 100}, {"steps": 280}].</summary>
    private static List<Budget> ParseBudgetList(JsonNode? node, string where)
    {
        if (node is not JsonArray array || array.Count == 0)
            throw new ArgumentException($"{where} must be a non-empty list of budgets, e.g. [{{\"flops_accounted\": 1e12}}, {{\"flops_accounted\": 2.8e12}}]");
        var budgets = array.Select(b => ParseBudget(b as JsonObject ?? throw new ArgumentException($"{where}: each budget must be an object, e.g. {{\"steps\": 200}}"))).ToList();
        if (budgets.Select(b => b.Kind).Distinct().Count() > 1)
            throw new ArgumentException($"{where}: every budget must be of one kind (got {string.Join(", ", budgets.Select(b => b.Name).Distinct())})");
        for (int i = 1; i < budgets.Count; i++)
            if (!(budgets[i].Value > budgets[i - 1].Value))
                throw new ArgumentException($"{where}: budgets must increase (got {budgets[i - 1].Value.ToString("G4", CultureInfo.InvariantCulture)} then {budgets[i].Value.ToString("G4", CultureInfo.InvariantCulture)})");
        return budgets;
    }

    /// <summary>Every model × its budgets (its own list, else the file's), with each budget's schedule length and folder.</summary>
    private static List<GridPoint> GridPoints(List<ModelEntry> models, IReadOnlyList<Budget>? topBudgets, int firstNominalSteps, bool modelAxis, bool budgetAxis)
    {
        var points = new List<GridPoint>();
        foreach (var m in models)
        {
            var budgets = m.Budgets ?? topBudgets!;
            for (int i = 0; i < budgets.Count; i++)
            {
                var b = budgets[i];
                // train.steps is the schedule at a model's first budget; a larger budget stretches it in proportion.
                long nominal = b.Kind == BudgetKind.Steps ? (long)b.Value : (long)Math.Round(firstNominalSteps * (b.Value / budgets[0].Value));
                if (nominal < 1 || nominal > MaxStepCap)
                    throw new ArgumentException($"model {m.Name}, budget {b.Name} {b.Value.ToString("G4", CultureInfo.InvariantCulture)}: its schedule would be {nominal} steps (allowed 1 to {MaxStepCap})");
                string folder = Path.Combine(modelAxis ? GridPoint.ModelFolder(m.Name) : "", budgetAxis ? GridPoint.BudgetFolder(b) : "");
                points.Add(new GridPoint(m.Name, m.Config, b, (int)nominal, i, folder));
            }
        }
        return points;
    }

    private static Budget ParseBudget(JsonObject o)
    {
        if (o.Count != 1) throw new ArgumentException($"\"budget\" needs exactly one of {string.Join(", ", Budget.Names)}");
        var (key, value) = o.First();
        int kind = Array.IndexOf(Budget.Names, key);
        if (kind < 0) throw new ArgumentException($"unknown budget '{key}' (known: {string.Join(", ", Budget.Names)})");
        double v = value!.GetValue<double>();
        if (!(v > 0) || double.IsInfinity(v)) throw new ArgumentException($"budget {key} must be > 0 (got {v.ToString(CultureInfo.InvariantCulture)})");
        if (kind == 0 && v != Math.Floor(v)) throw new ArgumentException($"budget steps must be an integer (got {v})");
        // Steps are counted in an int, like every other budget's step cap (MaxSteps): 1e20 used to wrap and never end.
        if (kind == 0 && v > MaxStepCap)
            throw new ArgumentException($"budget steps must be at most {MaxStepCap} (got {v.ToString(CultureInfo.InvariantCulture)})");
        return new Budget((BudgetKind)kind, v);
    }

    private static string? Str(JsonObject o, string key) => o[key] is { } n ? n.GetValue<string>() : null;

    private static void CheckKeys(JsonObject o, IReadOnlyCollection<string> known, string where)
    {
        foreach (var (k, _) in o)
            if (!known.Contains(k)) throw new ArgumentException($"{where}: unknown key '{k}' (known: {string.Join(", ", known)})");
    }
}
