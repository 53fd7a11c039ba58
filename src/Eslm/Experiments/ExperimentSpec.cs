using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Eslm.Model;
using Eslm.Records;
using Eslm.Selection;
using Eslm.Selection.Strategies;
using Eslm.Training;

namespace Eslm.Experiments;

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
    /// <summary>"lrs": the peak learning rates every arm × seed runs at (a folder level each), or null (train.lr alone).</summary>
    public IReadOnlyList<double>? LearningRates { get; init; }
    public bool HasLearningRateAxis => LearningRates is not null;
    /// <summary>The rates runs take: each of "lrs", or one null (the arm's own train.lr) when the file has none.</summary>
    public IReadOnlyList<double?> RunRates => LearningRates?.Select(r => (double?)r).ToList() ?? [null];
    public required IReadOnlyList<ulong> Seeds { get; init; }
    public required IReadOnlyList<ArmSpec> Arms { get; init; }
    public IReadOnlyList<EvalSet> Eval { get; init; } = [];
    public IReadOnlyList<TaskSpec> Tasks { get; init; } = [];
    public long EvalMaxTokens { get; init; }
    public int ValidationEvery => Train.ValidationEvery;
    public int ValidationBatches => Train.ValidationBatches;
    public int CheckpointEvery => Train.CheckpointEvery;
    public ReferenceSpec? Reference { get; init; }
    /// <summary>Continued pretraining: the plain-training run each seed trains once and every arm continues (null: arms start from initialisation).</summary>
    public BaseSpec? Base { get; init; }
    /// <summary>The file as read (saved beside the runs so reports can be rebuilt from the directory alone).</summary>
    public required JsonObject Source { get; init; }
    /// <summary>What the file says that no run will use (e.g. "alpha" on a rho1 arm); `experiment run` prints them.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The arm every other is compared with: the one named clm, else the first clm arm (null if none).</summary>
    public ArmSpec? BaselineArm => Arms.FirstOrDefault(a => a.Name == ClmSelector.StrategyName) ?? Arms.FirstOrDefault(a => a.Selection.Strategy == ClmSelector.StrategyName);

    /// <summary>The arms that run at a point: every arm, or the baseline alone at a baseline-only point.</summary>
    public IReadOnlyList<ArmSpec> ArmsAt(GridPoint point) => !point.BaselineOnly ? Arms : BaselineArm is { } b ? [b] : [];

    /// <summary>The most steps any arm may take (a step budget, or the cap of the others).</summary>
    public const int MaxStepCap = int.MaxValue - 1;

    /// <summary>This spec with every run's thread count set (where it runs, not what it trains: arms' results stay valid).</summary>
    public ExperimentSpec WithThreads(int threads) => this with
    {
        Train = Train with { Threads = threads },
        Arms = Arms.Select(a => a with { Train = a.Train with { Threads = threads } }).ToList(),
        Reference = Reference is null ? null : Reference with { Train = Reference.Train with { Threads = threads } },
        Base = Base is null ? null : Base with { Train = Base.Train with { Threads = threads } },
    };

    public static ExperimentSpec Load(string path)
    {
        var root = StrictJson.ReadObject(path, "experiment file");
        try { return Parse(root); }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {e.Message}"); }
    }

    /// <summary>A spec from an experiment file's JSON (errors are <see cref="ArgumentException"/>s naming the key; <see cref="Load"/> adds the file).</summary>
    public static ExperimentSpec Parse(JsonObject root)
    {
        var file = JsonRecords.Bind<ExperimentFile>(root);
        string name = file.Name ?? throw new ArgumentException("needs \"name\"");
        if (FolderNames.PlainProblem(name) is { } problem)
            throw new ArgumentException($"\"name\" must be a plain folder name (got '{name}', which {problem})");
        var models = ParseModels(file);
        var train = BaseTrain(file, models);
        var topBudgets = ParseBudgets(file);
        if (models.Any(m => m.Budgets is null) && topBudgets is null)
            throw new ArgumentException("needs \"budget\", e.g. {\"steps\": 200} or {\"flops_accounted\": 1e13} (or \"budgets\": a list of them)");
        var budget = (models[0].Budgets ?? topBudgets!)[0];
        if (budget.Kind == BudgetKind.Steps) train = train with { Steps = (int)budget.Value };
        var topBaseline = file.BaselineBudgets is { } bb ? ParseBudgetSet(bb, "\"baseline_budgets\"") : null;
        bool modelAxis = file.Models is not null,
            budgetAxis = file.Budgets is not null || models.Any(m => m.Budgets is not null) || topBaseline is not null || models.Any(m => m.BaselineBudgets is not null);
        var seeds = file.Seeds ?? [train.Seed];
        if (seeds.Count == 0 || seeds.Distinct().Count() != seeds.Count) throw new ArgumentException("\"seeds\" must be a non-empty list of distinct integers");
        var arms = ParseArms(file, train, budget, models);
        var rates = ParseRates(file);
        if ((topBaseline is not null || models.Any(m => m.BaselineBudgets is not null))
            && !arms.Any(a => a.Name == ClmSelector.StrategyName || a.Selection.Strategy == ClmSelector.StrategyName))
            throw new ArgumentException("\"baseline_budgets\" needs a clm arm (the baseline whose frontier they extend)");
        var reference = ParseReference(file.Reference, models[0], train);
        CheckArmPaths(arms, reference);
        if (reference is not null) CheckReferenceFitsArms(arms, reference, models);
        var basis = ParseBase(file, train, arms);
        return new ExperimentSpec
        {
            Name = name, Description = file.Description ?? "", ModelName = models[0].Name, Model = models[0].Config, Train = train.Validate(),
            Data = file.Data ?? throw new ArgumentException("needs \"data\" (the training dataset)"), ValidationData = file.ValData,
            Seeds = seeds, Arms = arms, Eval = ParseEval(file.Eval), Tasks = ParseTasks(file.Tasks),
            Points = GridPoints(models, topBudgets, topBaseline, train.Steps, modelAxis, budgetAxis), HasModelAxis = modelAxis, HasBudgetAxis = budgetAxis,
            LearningRates = rates,
            EvalMaxTokens = file.EvalMaxTokens is < 0 ? throw new ArgumentException($"\"eval_max_tokens\" must be >= 0 (0 = whole validation splits; got {file.EvalMaxTokens})")
                : file.EvalMaxTokens ?? 0,
            Reference = reference, Base = basis, Source = (JsonObject)root.DeepClone(),
            Warnings = UnusedSharedKeys(file.Arms!, arms),
        };
    }

    /// <summary>
    /// The training options every arm starts from: experiments' own defaults for validation and checkpoints, the top-level
    /// val_every / val_batches / checkpoint_every, then the "train" object (any <see cref="TrainOptions"/> key).
    /// </summary>
    private static TrainOptions BaseTrain(ExperimentFile file, List<ModelEntry> models)
    {
        var basis = new TrainOptions
        {
            SequenceLength = models.Min(m => m.Config.MaxSequenceLength), KeepLast = 1,
            ValidationEvery = file.ValEvery ?? 50, ValidationBatches = file.ValBatches ?? 8, CheckpointEvery = file.CheckpointEvery ?? 50,
        };
        var train = file.Train is null ? basis : TrainOptionsBinding.Read(file.Train, basis, "train.");
        foreach (var m in models)
            if (train.SequenceLength > m.Config.MaxSequenceLength)
                throw new ArgumentException($"train.seq {train.SequenceLength} exceeds the context of model {m.Name} ({m.Config.MaxSequenceLength})");
        return train;
    }

    private static List<ArmSpec> ParseArms(ExperimentFile file, TrainOptions train, Budget budget, List<ModelEntry> models)
    {
        var arms = new List<ArmSpec>();
        var list = file.Arms ?? throw new ArgumentException("needs \"arms\": a list of {\"name\", \"strategy\", …}");
        for (int i = 0; i < list.Count; i++)
        {
            var arm = ParseArm(list[i], train, $"arms[{i}].");
            // The arm's name is its folder (runs/NAME/ARM/seedK/): "..", "plots" or "reference" would write outside it or into the runner's own.
            if (FolderNames.ArmProblem(arm.Name, models.Select(m => GridPoint.ModelFolder(m.Name))) is { } problem)
                throw new ArgumentException($"arm name '{arm.Name}' must be a plain folder name of its own (it {problem})");
            if (arms.Any(x => x.Name == arm.Name)) throw new ArgumentException($"two arms are named '{arm.Name}'");
            if (models.FirstOrDefault(m => arm.Train.SequenceLength > m.Config.MaxSequenceLength) is { } small)
                throw new ArgumentException($"arm {arm.Name}: train.seq {arm.Train.SequenceLength} exceeds the context of model {small.Name} ({small.Config.MaxSequenceLength})");
            arms.Add(budget.Kind == BudgetKind.Steps ? arm with { Train = arm.Train with { Steps = (int)budget.Value } } : arm);
        }
        if (arms.Count == 0) throw new ArgumentException("\"arms\" is empty");
        return arms;
    }

    /// <summary>One arm: "name" (default: the strategy), "train" (overrides), "backward", and selection keys.</summary>
    private static ArmSpec ParseArm(JsonObject arm, TrainOptions train, string where)
    {
        string? Text(string key) => arm.ContainsKey(key) ? (string)StrictJson.Read(arm[key], typeof(string), false, where + key)! : null;
        string armName = Text("name") ?? Text("strategy") ?? throw new ArgumentException($"{where[..^1]} needs \"name\" or \"strategy\"");
        try
        {
            var armTrain = arm.ContainsKey("train")
                ? TrainOptionsBinding.Read(ArmTrainObject(arm["train"], where), train, where + "train.")
                : train;
            var selectionJson = new JsonObject();
            foreach (var (k, v) in arm)
                if (k is not ("name" or "train")) selectionJson[FlagAliases.GetValueOrDefault(k, k)] = v?.DeepClone();
            // "backward" sits with the selection keys (as run.json had it before issue 22) but is a training option
            var selection = SelectionBinding.FromJson(selectionJson, (key, value) => armTrain = key == "backward"
                ? armTrain with { Backward = (BackwardMode)StrictJson.Read(value, typeof(BackwardMode), false, where + key)! }
                : throw new ArgumentException($"unknown key '{key}' (known: name, train, backward, {string.Join(", ", SelectionBinding.AllKeys)})"), where);
            return new ArmSpec(armName, selection, armTrain.Validate());
        }
        catch (ArgumentException e) { throw new ArgumentException($"arm {armName}: {e.Message}"); }
    }

    /// <summary>Training keys every run of every arm takes from elsewhere: one given per arm would be silently replaced.</summary>
    private static readonly Dictionary<string, string> NotPerArm = new()
    {
        ["seed"] = "every arm runs each of \"seeds\", so that arms share data order and initial weights",
        ["steps"] = "every arm runs until the budget is spent, on the schedule of the top-level train.steps, so that arms stay matched",
        ["threads"] = "it is where runs execute, not what they train: set it in the top-level \"train\" or with --threads",
    };

    /// <summary>An arm's "train" object, refusing keys that no arm can set (<see cref="NotPerArm"/>).</summary>
    private static JsonObject ArmTrainObject(JsonNode? node, string where)
    {
        var train = node as JsonObject ?? throw new ArgumentException($"key '{where}train' must be an object (got {node?.ToJsonString() ?? "null"})");
        if (train.Select(kv => kv.Key).FirstOrDefault(NotPerArm.ContainsKey) is { } key)
            throw new ArgumentException($"key '{where}train.{key}' cannot be set per arm ({NotPerArm[key]})");
        return train;
    }

    /// <summary>Shared selection keys an arm gives that its strategy does not read (<see cref="StrategyDefinition.Uses"/>).</summary>
    private static List<string> UnusedSharedKeys(List<JsonObject> json, List<ArmSpec> arms)
    {
        var warnings = new List<string>();
        var shared = new (string Key, SharedOptions Option)[] { ("score", SharedOptions.Score), ("alpha", SharedOptions.Alpha), ("keep", SharedOptions.Keep),
            ("seed", SharedOptions.Seed), ("selection_seed", SharedOptions.Seed) };
        for (int i = 0; i < arms.Count; i++)
        {
            var uses = StrategyRegistry.Get(arms[i].Selection.Strategy).Uses;
            foreach (var (key, option) in shared)
                if (json[i].ContainsKey(key) && !uses.HasFlag(option))
                    warnings.Add($"arm {arms[i].Name}: strategy {arms[i].Selection.Strategy} does not use \"{key}\" (used by {string.Join(", ", StrategyRegistry.Using(option))}), so it is ignored");
        }
        return warnings;
    }

    private static ReferenceSpec? ParseReference(ReferenceFile? r, ModelEntry model, TrainOptions train)
    {
        if (r is null) return null;
        var (refName, refModel) = r.Model is { } m ? ParseModel(m, "reference.model") : (model.Name, model.Config);
        var refTrain = r.Train is null ? train : TrainOptionsBinding.Read(r.Train, train, "reference.train.");
        if (refTrain.SequenceLength > refModel.MaxSequenceLength)
            throw new ArgumentException($"reference: train.seq {refTrain.SequenceLength} exceeds the context of its model {refName} ({refModel.MaxSequenceLength})");
        return new ReferenceSpec(r.Data ?? throw new ArgumentException("reference needs \"data\" (the clean dataset)"), refModel, refName, refTrain.Validate());
    }

    /// <summary>
    /// "base": the experiment's "train" with base.train's keys over it; "steps" must be given there (the top-level one is
    /// the arms' schedule). Every arm reads the base's data stream on, so it must cut the same windows the same way.
    /// </summary>
    private static BaseSpec? ParseBase(ExperimentFile file, TrainOptions train, List<ArmSpec> arms)
    {
        if (file.Base is not { } b) return null;
        if (b.Train?.ContainsKey("steps") != true) throw new ArgumentException("\"base\" needs \"train\": {\"steps\": N, …} (the plain-training steps every arm continues from)");
        if (b.Train.ContainsKey("seed")) throw new ArgumentException("key 'base.train.seed' cannot be set (each seed of \"seeds\" trains its own base run)");
        TrainOptions baseTrain;
        try { baseTrain = TrainOptionsBinding.Read(b.Train, train, "base.train.").Validate(); }
        catch (ArgumentException e) { throw new ArgumentException($"base: {e.Message}"); }
        if (baseTrain.Steps < 1) throw new ArgumentException($"base.train.steps must be >= 1 (got {baseTrain.Steps})");
        foreach (var arm in arms)
        {
            var a = arm.Train;
            if (BranchPoint.Windows(a) != BranchPoint.Windows(baseTrain))
                throw new ArgumentException($"arm {arm.Name} reads on from the base run's data position, so it needs the base's batch, seq, grad_accum and sampling " +
                                            $"({baseTrain.BatchSize}, {baseTrain.SequenceLength}, {baseTrain.GradientAccumulation}, {baseTrain.Sampling.ToString().ToLowerInvariant()}; " +
                                            $"the arm has {a.BatchSize}, {a.SequenceLength}, {a.GradientAccumulation}, {a.Sampling.ToString().ToLowerInvariant()})");
        }
        return new BaseSpec(baseTrain);
    }

    /// <summary>
    /// An arm that loads the reference as a model (Rho-1 online, a KD teacher) compares its logits row by row with the
    /// arm's own and reads the arm's windows: found here, not after the reference's training and the arms before it.
    /// </summary>
    private static void CheckReferenceFitsArms(List<ArmSpec> arms, ReferenceSpec reference, List<ModelEntry> models)
    {
        foreach (var arm in arms.Where(UsesReferenceModel))
        {
            if (models.FirstOrDefault(m => m.Config.VocabSize != reference.Model.VocabSize) is { } model)
                throw new ArgumentException($"arm {arm.Name} loads the reference as a model, whose vocabulary ({reference.Model.VocabSize}) differs from model {model.Name}'s ({model.Config.VocabSize})");
            if (arm.Train.SequenceLength > reference.Model.MaxSequenceLength)
                throw new ArgumentException($"arm {arm.Name}: train.seq {arm.Train.SequenceLength} exceeds the context of the reference's model {reference.ModelName} ({reference.Model.MaxSequenceLength})");
        }
    }

    private static void CheckArmPaths(List<ArmSpec> arms, ReferenceSpec? reference)
    {
        foreach (var arm in arms)
        {
            if (UsesReference(arm) && reference is null) throw new ArgumentException($"arm {arm.Name} names \"@reference\" but the experiment has no \"reference\" section");
            // A model or file named for another strategy would be ignored silently (issue 13 item 20).
            if (SelectionBinding.IgnoredSettings(arm.Selection).FirstOrDefault(s => s.IsPath) is { } ignored)
                throw new ArgumentException($"arm {arm.Name}: \"{ignored.Key}\" belongs to strategy {ignored.Owner.Name}, so \"{arm.Selection.Strategy}\" would ignore it");
            try { SelectionBinding.Resolved(WithReference(arm.Selection, "reference.checkpoint")).Validate(); }
            catch (ArgumentException e) { throw new ArgumentException($"arm {arm.Name}: {e.Message}"); }
        }
    }

    private static List<EvalSet> ParseEval(List<EvalFile>? entries)
    {
        var eval = new List<EvalSet>();
        foreach (var e in entries ?? [])
        {
            string domain = e.Domain ?? "in";
            if (domain is not ("in" or "out")) throw new ArgumentException($"eval domain must be \"in\" or \"out\" (got '{domain}')");
            string data = e.Data ?? throw new ArgumentException("eval entry needs \"data\"");
            string setName = e.Name ?? Path.GetFileName(data.TrimEnd('/'));
            // The name heads the report's columns and names its trend plots: an empty one would show as nothing.
            if (string.IsNullOrWhiteSpace(setName)) throw new ArgumentException($"eval set of \"data\" '{data}' needs a \"name\" (got '{setName}')");
            // The report's per-set table is keyed by name: two sets of one name would show one set's numbers for both.
            if (eval.Any(x => x.Name == setName)) throw new ArgumentException($"two eval sets are named '{setName}' (give each a distinct \"name\")");
            var set = new EvalSet(setName, data, domain == "in");
            // Each set has its own trend plots: two names that spell one file name would overwrite each other's.
            if (eval.FirstOrDefault(x => x.FileStem == set.FileStem) is { } twin)
                throw new ArgumentException($"eval sets '{twin.Name}' and '{setName}' would share the plot file name '{set.FileStem}' (give them names that differ in a letter or digit)");
            eval.Add(set);
        }
        return eval;
    }

    private static List<TaskSpec> ParseTasks(List<TaskFile>? entries) =>
        (entries ?? []).Select(t => t.Task is "hellaswag" or "cloze"
            ? new TaskSpec(t.Task, t.File ?? throw new ArgumentException("tasks entry needs \"file\""))
            : throw new ArgumentException($"task must be hellaswag or cloze (got '{t.Task}')")).ToList();

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

    /// <summary>Whether an arm names the reference in any setting (as a model or as its loss sidecar).</summary>
    public static bool UsesReference(ArmSpec arm) => ReferenceSettings(arm).Any();

    /// <summary>Whether an arm reads the reference's loss sidecar (the runner then scores the training split once).</summary>
    public static bool UsesReferenceLosses(ArmSpec arm) => ReferenceSettings(arm).Any(s => s.IsReferenceLosses);

    /// <summary>Whether an arm loads the reference as a model (Rho-1 online, an ESLM-KD teacher).</summary>
    public static bool UsesReferenceModel(ArmSpec arm) => ReferenceSettings(arm).Any(s => !s.IsReferenceLosses);

    /// <summary>The path settings of an arm that name the experiment's reference.</summary>
    private static IEnumerable<SettingDescriptor> ReferenceSettings(ArmSpec arm) =>
        StrategyRegistry.Settings.Where(s => s.IsPath && s.ValueIn(arm.Selection) as string == ReferenceName);

    private static readonly Dictionary<string, string> FlagAliases = new() { ["selection_scope"] = "scope", ["selection_seed"] = "seed" };

    private static (string, GptConfig) ParseModel(JsonNode node, string where)
    {
        if (node.GetValueKind() == JsonValueKind.String)
        {
            string preset = node.GetValue<string>();
            return (preset, GptConfig.FromPreset(preset).Validated());
        }
        if (node is not JsonObject o)
            throw new ArgumentException($"key '{where}' must be a preset name or an object {{\"preset\", \"layers\", \"heads\", \"channels\", \"context\", \"vocab\"}} (got {node.ToJsonString()})");
        var m = JsonRecords.Bind<ModelFile>(o, where + ".");
        string name = m.Preset ?? "tiny";
        var c = GptConfig.FromPreset(name);
        c = c with
        {
            Layers = m.Layers ?? c.Layers, Heads = m.Heads ?? c.Heads, Channels = m.Channels ?? c.Channels,
            MaxSequenceLength = m.Context ?? c.MaxSequenceLength, VocabSize = m.Vocab ?? c.VocabSize,
        };
        bool custom = o.Count > (o.ContainsKey("preset") ? 1 : 0);
        return (custom ? name + "*" : name, c.Validated());
    }

    private sealed record ModelEntry(string Name, GptConfig Config, IReadOnlyList<Budget>? Budgets, IReadOnlyList<Budget>? BaselineBudgets = null);

    /// <summary>"model" (one) or "models" (a list of presets, model objects, or {"model": …, "budgets": […]}).</summary>
    private static List<ModelEntry> ParseModels(ExperimentFile file)
    {
        if (file.Model is not null && file.Models is not null) throw new ArgumentException("give \"model\" or \"models\", not both");
        if (file.Models is null)
        {
            var (name, config) = ParseModel(file.Model ?? throw new ArgumentException("needs \"model\" (a preset name or an object)"), "model");
            return [new ModelEntry(name, config, null)];
        }
        if (file.Models.Count == 0) throw new ArgumentException("\"models\" must be a non-empty list of presets or model objects, e.g. [\"tiny\", \"d2\"]");
        var entries = new List<ModelEntry>();
        for (int i = 0; i < file.Models.Count; i++)
        {
            var item = file.Models[i];
            ModelEntry entry;
            if (item is JsonObject o && o.ContainsKey("model"))
            {
                var withBudgets = JsonRecords.Bind<ModelBudgetsFile>(o, $"models[{i}].");
                var (n, c) = ParseModel(withBudgets.Model!, $"models[{i}].model");
                entry = new ModelEntry(n, c, withBudgets.Budgets is { } b ? ParseBudgetList(b, $"model {n}: \"budgets\"") : null,
                    withBudgets.BaselineBudgets is { } bb ? ParseBudgetSet(bb, $"model {n}: \"baseline_budgets\"") : null);
            }
            else
            {
                var (n, c) = ParseModel(item, $"models[{i}]");
                entry = new ModelEntry(n, c, null);
            }
            if (entries.Any(e => GridPoint.ModelFolder(e.Name) == GridPoint.ModelFolder(entry.Name)))
                throw new ArgumentException($"\"models\" lists {entry.Name} twice (each model needs its own folder; customise one with \"preset\" and a new size)");
            entries.Add(entry);
        }
        return entries;
    }

    /// <summary>"budget" (one) or "budgets" (a list); null when neither is given.</summary>
    private static IReadOnlyList<Budget>? ParseBudgets(ExperimentFile file)
    {
        if (file.Budget is not null && file.Budgets is not null) throw new ArgumentException("give \"budget\" or \"budgets\", not both");
        if (file.Budgets is { } list) return ParseBudgetList(list, "\"budgets\"");
        return file.Budget is { } one ? [ParseBudget(one, "budget")] : null;
    }

    /// <summary>A list of budgets of one kind in increasing order (the trend axis), e.g. [{"steps": 100}, {"steps": 280}].</summary>
    private static List<Budget> ParseBudgetList(List<JsonObject> list, string where)
    {
        if (list.Count == 0)
            throw new ArgumentException($"{where} must be a non-empty list of budgets, e.g. [{{\"flops_accounted\": 1e12}}, {{\"flops_accounted\": 2.8e12}}]");
        var budgets = list.Select(b => ParseBudget(b, where)).ToList();
        if (budgets.Select(b => b.Kind).Distinct().Count() > 1)
            throw new ArgumentException($"{where}: every budget must be of one kind (got {string.Join(", ", budgets.Select(b => b.Name).Distinct())})");
        for (int i = 1; i < budgets.Count; i++)
            if (!(budgets[i].Value > budgets[i - 1].Value))
                throw new ArgumentException($"{where}: budgets must increase (got {budgets[i - 1].Value.ToString("G4", CultureInfo.InvariantCulture)} then {budgets[i].Value.ToString("G4", CultureInfo.InvariantCulture)})");
        return budgets;
    }

    /// <summary>
    /// "lrs": distinct, positive, finite peak learning rates (each run's train.lr). Refused beside a train.lr, which no run
    /// would use.
    /// </summary>
    private static List<double>? ParseRates(ExperimentFile file)
    {
        if (file.Lrs is not { } lrs) return null;
        if (lrs.Count == 0) throw new ArgumentException("\"lrs\" must be a non-empty list of learning rates, e.g. [0.0015, 0.003, 0.006]");
        foreach (double r in lrs)
            if (!(r > 0) || !double.IsFinite(r) || !((float)r > 0) || !float.IsFinite((float)r))
                throw new ArgumentException($"\"lrs\": every rate must be positive and finite (got {r.ToString(CultureInfo.InvariantCulture)})");
        // Two rates of one float (or one folder) would train the same runs twice.
        if (lrs.Select(r => (float)r).Distinct().Count() != lrs.Count || lrs.Select(GridPoint.LearningRateFolder).Distinct().Count() != lrs.Count)
            throw new ArgumentException($"\"lrs\" must be distinct (got {string.Join(", ", lrs.Select(r => r.ToString(CultureInfo.InvariantCulture)))})");
        if (file.Train?.ContainsKey("lr") == true) throw new ArgumentException("give \"lrs\" or train.lr, not both (every run takes its rate from \"lrs\")");
        if (file.Arms?.FirstOrDefault(a => (a["train"] as JsonObject)?.ContainsKey("lr") == true) is { } arm)
            throw new ArgumentException($"arm {arm["name"] ?? arm["strategy"]}: train.lr beside \"lrs\" (every run takes its rate from \"lrs\")");
        return lrs;
    }

    /// <summary>"baseline_budgets": budgets of one kind, distinct (any order).</summary>
    private static List<Budget> ParseBudgetSet(List<JsonObject> list, string where)
    {
        if (list.Count == 0) throw new ArgumentException($"{where} must be a non-empty list of budgets (or left out)");
        var budgets = list.Select(b => ParseBudget(b, where)).ToList();
        if (budgets.Select(b => b.Kind).Distinct().Count() > 1)
            throw new ArgumentException($"{where}: every budget must be of one kind (got {string.Join(", ", budgets.Select(b => b.Name).Distinct())})");
        if (budgets.Distinct().Count() != budgets.Count) throw new ArgumentException($"{where}: a budget is listed twice");
        return budgets;
    }

    /// <summary>
    /// Every model × its budgets (its own list, else the file's) and its baseline-only budgets (its own, else the file's),
    /// ordered by budget, with each budget's schedule length and folder.
    /// </summary>
    private static List<GridPoint> GridPoints(List<ModelEntry> models, IReadOnlyList<Budget>? topBudgets, IReadOnlyList<Budget>? topBaseline,
        int firstNominalSteps, bool modelAxis, bool budgetAxis)
    {
        var points = new List<GridPoint>();
        foreach (var m in models)
        {
            var budgets = m.Budgets ?? topBudgets!;
            var baseline = m.BaselineBudgets ?? topBaseline ?? [];
            foreach (var b in baseline)
            {
                if (b.Kind != budgets[0].Kind)
                    throw new ArgumentException($"model {m.Name}: \"baseline_budgets\" are {b.Name} but the budgets are {budgets[0].Name} (give them in one kind)");
                if (budgets.Contains(b))
                    throw new ArgumentException($"model {m.Name}: baseline budget {b.Name} {Budget.Format(b.Value)} is also an arms' budget (every arm runs there already)");
            }
            var all = budgets.Select(b => (Budget: b, BaselineOnly: false)).Concat(baseline.Select(b => (Budget: b, BaselineOnly: true)))
                .OrderBy(x => x.Budget.Value).ToList();
            for (int i = 0; i < all.Count; i++)
            {
                var b = all[i].Budget;
                // train.steps is the schedule at a model's first budget; a larger budget stretches it in proportion.
                long nominal = b.Kind == BudgetKind.Steps ? (long)b.Value : (long)Math.Round(firstNominalSteps * (b.Value / budgets[0].Value));
                if (nominal < 1 || nominal > MaxStepCap)
                    throw new ArgumentException($"model {m.Name}, budget {b.Name} {b.Value.ToString("G4", CultureInfo.InvariantCulture)}: its schedule would be {nominal} steps (allowed 1 to {MaxStepCap})");
                string folder = Path.Combine(modelAxis ? GridPoint.ModelFolder(m.Name) : "", budgetAxis ? GridPoint.BudgetFolder(b) : "");
                points.Add(new GridPoint(m.Name, m.Config, b, (int)nominal, i, folder, all[i].BaselineOnly));
            }
        }
        return points;
    }

    private static Budget ParseBudget(JsonObject o, string where)
    {
        if (o.Count != 1) throw new ArgumentException($"\"budget\" needs exactly one of {string.Join(", ", Budget.Names)}");
        var (key, value) = o.First();
        int kind = Array.IndexOf(Budget.Names, key);
        if (kind < 0) throw new ArgumentException($"unknown budget '{key}' (known: {string.Join(", ", Budget.Names)})");
        double v = (double)StrictJson.Read(value, typeof(double), false, $"{where}.{key}")!;
        if (!(v > 0) || double.IsInfinity(v)) throw new ArgumentException($"budget {key} must be > 0 (got {v.ToString(CultureInfo.InvariantCulture)})");
        if (kind == 0 && v != Math.Floor(v)) throw new ArgumentException($"budget steps must be an integer (got {v.ToString(CultureInfo.InvariantCulture)})");
        // Steps are counted in an int, like every other budget's step cap (MaxSteps): 1e20 used to wrap and never end.
        if (kind == 0 && v > MaxStepCap)
            throw new ArgumentException($"budget steps must be at most {MaxStepCap} (got {v.ToString(CultureInfo.InvariantCulture)})");
        return new Budget((BudgetKind)kind, v);
    }
}
