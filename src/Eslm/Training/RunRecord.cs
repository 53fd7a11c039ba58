using System.Text.Json;
using System.Text.Json.Nodes;
using Eslm.Checkpoints;
using Eslm.Data;
using Eslm.Model;
using Eslm.Records;
using Eslm.Selection;

namespace Eslm.Training;

/// <summary>
/// What a run used, as run.json (and every checkpoint's state.json "options") records it: the architecture, the inputs,
/// every <see cref="TrainOptions"/> option and the selection the strategy reads. `eslm train` and experiment arms write
/// this one shape (an arm adds its "experiment" provenance); `train --resume` and `--config run.json` read it back with
/// <see cref="Read"/>. Layout: {"model": {architecture}, "options": {…}, "changes": [{"step", "option", "from", "to"}]?}.
/// </summary>
public sealed record RunRecord
{
    public const string FileName = "run.json";

    /// <summary>Keys of "options" that describe the run rather than configure it (written, checked for type, not bound).</summary>
    public static readonly string[] DescriptiveKeys = ["command", "config", "processes", "experiment"];

    /// <summary>"train", "experiment" (an arm) or "experiment reference".</summary>
    public string Command { get; init; } = "train";
    public required string ModelName { get; init; }
    public required GptConfig Model { get; init; }
    public string? Data { get; init; }
    public string? ValidationData { get; init; }
    public string? InitFrom { get; init; }
    /// <summary>The checkpoint a branched run continues (`train --continue-from`, an experiment's base): weights, AdamW moments, data position.</summary>
    public string? ContinueFrom { get; init; }
    public required TrainOptions Train { get; init; }
    public SelectionOptions Selection { get; init; } = new();
    /// <summary>Data-parallel processes (resume needs the same count).</summary>
    public int Processes { get; init; } = 1;
    /// <summary>An experiment arm's provenance: {"name", "arm", "budget", "nominal_steps"}; null for `eslm train`.</summary>
    public JsonObject? Experiment { get; init; }

    /// <summary>
    /// This record with every path absolute (data, validation data, --init-from, the strategy's model and file settings),
    /// so `--config run.json` and `--resume` work from any directory. Values of the form "scheme:…" ("random:50257",
    /// "preset:tiny") are not paths and stay as they are.
    /// </summary>
    public RunRecord Located()
    {
        var selection = Selection;
        foreach (var setting in StrategyRegistry.Settings.Where(s => s.IsPath && s.Owner.Name == Selection.Strategy))
            if (setting.ValueIn(selection) is string path) selection = setting.Set(selection, LocatedPath(path));
        return this with { Data = LocatedData(Data), ValidationData = LocatedData(ValidationData), InitFrom = LocatedPath(InitFrom), ContinueFrom = LocatedPath(ContinueFrom), Selection = selection };
    }

    /// <summary>A recorded path as an absolute path, so runs started from different folders compare; preset:NAME and other schemes as given.</summary>
    public static string? LocatedPath(string? path) =>
        path is null || System.Text.RegularExpressions.Regex.IsMatch(path, "^[A-Za-z][A-Za-z0-9+.-]+:") ? path : System.IO.Path.GetFullPath(path);

    /// <summary>A data argument with every part of a mixture (`A@0.8,B@0.2`, <see cref="DataMixture"/>) located.</summary>
    public static string? LocatedData(string? spec) => spec is null ? null : DataMixture.MapPaths(spec, p => LocatedPath(p)!);

    /// <summary>run.json's "options" (and state.json's).</summary>
    public JsonObject OptionsJson()
    {
        var json = new JsonObject
        {
            ["command"] = Command, ["model"] = ModelName, ["config"] = Model.ToString(),
            ["data"] = Data, ["val_data"] = ValidationData, ["init_from"] = InitFrom,
        };
        // Only in a branched run: every other run.json (and the golden runs) keeps the shape it had before branching existed.
        if (ContinueFrom is not null) json["continue_from"] = ContinueFrom;
        TrainOptionsBinding.WriteTo(json, Train);
        json["selection"] = SelectionBinding.ToJson(Selection);
        json["processes"] = Processes;
        json["experiment"] = Experiment?.DeepClone(); // null for `eslm train`: one shape for every run
        return json;
    }

    /// <summary>The whole file, with <paramref name="changes"/> when there are any.</summary>
    public string ToFileText(JsonArray? changes)
    {
        var json = new JsonObject { ["model"] = Checkpoint.ConfigToJson(Model), ["options"] = OptionsJson() };
        if (changes is { Count: > 0 }) json["changes"] = changes.DeepClone();
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>One option a resumed run changes: its flag and the two values as text.</summary>
    public sealed record Change(string Flag, string From, string To);

    /// <summary>
    /// What <paramref name="now"/> changes from this record, flag by flag: the architecture, the inputs (as full paths),
    /// every training option and every selection key the two runs record (paths compared as absolute paths). Descriptive fields (command, processes) are
    /// not options; a resume checks the process count against the checkpoint.
    /// </summary>
    public List<Change> ChangesTo(RunRecord now)
    {
        var (was, changes) = (Located(), new List<Change>());
        now = now.Located();
        // by shape: a preset's config leaves the padded vocabulary implicit, run.json's states it
        if ((was.Model.L, was.Model.NH, was.Model.C, was.Model.MaxSequenceLength, was.Model.VocabSize, was.Model.Vp) != (now.Model.L, now.Model.NH, now.Model.C, now.Model.MaxSequenceLength, now.Model.VocabSize, now.Model.Vp))
            changes.Add(new("--model", was.Model.ToString(), now.Model.ToString()));
        if (was.Data != now.Data) changes.Add(new("--data", was.Data ?? "none", now.Data ?? "none"));
        if (was.ValidationData != now.ValidationData) changes.Add(new("--val-data", was.ValidationData ?? "none", now.ValidationData ?? "none"));
        foreach (var o in TrainOptionsBinding.All)
            if (!Equals(o.ValueIn(was.Train), o.ValueIn(now.Train)))
                changes.Add(new(o.Flag, TrainOptionDescriptor.Text(o.ValueIn(was.Train)), TrainOptionDescriptor.Text(o.ValueIn(now.Train))));
        var (a, b) = (SelectionBinding.ToJson(was.Selection), SelectionBinding.ToJson(now.Selection));
        foreach (var key in a.Select(p => p.Key).Union(b.Select(p => p.Key)))
            if (!JsonNode.DeepEquals(a[key], b[key]))
                changes.Add(new(SelectionBinding.FlagFor(key), Text(a[key]), Text(b[key])));
        return changes;
    }

    private static string Text(JsonNode? node) => node is null ? "none" : node.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : node.ToJsonString();

    /// <summary>Whether <paramref name="json"/> has run.json's layout (an "options" object beside the architecture).</summary>
    public static bool IsRunJson(JsonObject json) => json["options"] is JsonObject && json["model"] is JsonObject;

    /// <summary>Reads a run.json; every error is one line naming the file and the key.</summary>
    public static RunRecord Read(string path) => FromJson(StrictJson.ReadObject(path, FileName), path);

    public static RunRecord FromJson(JsonObject root, string path)
    {
        try { return Bind(root); }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {e.Message}"); }
    }

    /// <summary>Older run.json files: no "sampling", "threads", … (their defaults), "backward" inside "selection", "precision" only when bf16.</summary>
    private static RunRecord Bind(JsonObject root)
    {
        foreach (var (key, _) in root)
            if (key is not ("model" or "options" or "changes")) throw new ArgumentException($"unknown key '{key}' (known: model, options, changes)");
        var model = ReadModel(root["model"] as JsonObject ?? throw new ArgumentException("key 'model' must be an object (the architecture)"));
        var options = root["options"] as JsonObject ?? throw new ArgumentException("key 'options' must be an object");
        var text = new Dictionary<string, string?>();
        JsonObject? selectionJson = null, experiment = null;
        int processes = 1;
        var train = TrainOptionsBinding.Read(options, new TrainOptions(), "options.", (key, value) =>
        {
            switch (key)
            {
                case "selection": selectionJson = value as JsonObject ?? throw new ArgumentException("key 'options.selection' must be an object"); break;
                case "processes": processes = (int)StrictJson.Read(value, typeof(int), false, "options.processes")!; break;
                case "experiment": experiment = value is null ? null : value as JsonObject ?? throw new ArgumentException("key 'options.experiment' must be an object or null"); break;
                case "command" or "model" or "config" or "data" or "val_data" or "init_from" or "continue_from":
                    text[key] = (string?)StrictJson.Read(value, typeof(string), key is not ("command" or "model"), "options." + key); break;
                default: throw new ArgumentException($"unknown key 'options.{key}'");
            }
        });
        if (selectionJson?["backward"] is { } backward) // before issue 22, run.json kept the backward mode inside "selection"
        {
            train = train with { Backward = (BackwardMode)StrictJson.Read(backward, typeof(BackwardMode), false, "options.selection.backward")! };
            selectionJson = selectionJson.DeepClone().AsObject();
            selectionJson.Remove("backward");
        }
        var selection = selectionJson is null ? new SelectionOptions() : SelectionBinding.FromJson(selectionJson, where: "options.selection.");
        return new RunRecord
        {
            Command = text.GetValueOrDefault("command") ?? "train", ModelName = text.GetValueOrDefault("model") ?? "", Model = model,
            Data = text.GetValueOrDefault("data"), ValidationData = text.GetValueOrDefault("val_data"), InitFrom = text.GetValueOrDefault("init_from"),
            ContinueFrom = text.GetValueOrDefault("continue_from"), Train = train, Selection = selection, Processes = processes, Experiment = experiment,
        };
    }

    private static GptConfig ReadModel(JsonObject o)
    {
        int Get(string key) => (int)StrictJson.Read(o[key], typeof(int), false, "model." + key)!;
        return new GptConfig
        {
            Layers = Get("layers"), Heads = Get("heads"), Channels = Get("channels"), MaxSequenceLength = Get("max_sequence_length"),
            VocabSize = Get("vocab_size"), PaddedVocabSize = Get("padded_vocab_size"),
        }.Validated();
    }
}
