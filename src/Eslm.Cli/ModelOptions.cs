using System.CommandLine;
using Eslm.Model;

namespace Eslm.Cli;

/// <summary>`--model PRESET` plus per-dimension overrides, shared by every command that builds a model.</summary>
public sealed class ModelOptions
{
    public Option<string> Preset { get; } = new("--model") { Description = $"Model preset: {string.Join(", ", GptConfig.Presets.Keys)}", DefaultValueFactory = _ => "d6" };
    public Option<int?> Layers { get; } = new("--layers") { Description = "Override L (transformer blocks)" };
    public Option<int?> Heads { get; } = new("--heads") { Description = "Override NH (attention heads)" };
    public Option<int?> Channels { get; } = new("--channels") { Description = "Override C (embedding width)" };
    public Option<int?> Context { get; } = new("--context") { Description = "Override the maximum context length T" };
    public Option<int?> Vocab { get; } = new("--vocab") { Description = "Override V (vocabulary size; padded to a multiple of 128)" };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Preset, Layers, Heads, Channels, Context, Vocab }) command.Options.Add(o);
    }

    public (string Name, GptConfig Config) Resolve(ParseResult result) => Resolve(result, null);

    /// <summary>
    /// The architecture of <paramref name="source"/>'s model (<c>train --init-from</c>: any model source ModelLoader
    /// reads), unless --model names a preset explicitly; per-dimension options override either.
    /// </summary>
    public (string Name, GptConfig Config) Resolve(ParseResult result, GptConfig? source, string? sourceName = null)
    {
        bool presetGiven = result.GetResult(Preset) is { Implicit: false };
        string name = source is null || presetGiven ? result.GetValue(Preset)! : sourceName ?? "init-from";
        var c = source is null || presetGiven ? GptConfig.FromPreset(name) : source;
        c = c with
        {
            Layers = result.GetValue(Layers) ?? c.Layers,
            Heads = result.GetValue(Heads) ?? c.Heads,
            Channels = result.GetValue(Channels) ?? c.Channels,
            MaxSequenceLength = result.GetValue(Context) ?? c.MaxSequenceLength,
            VocabSize = result.GetValue(Vocab) ?? c.VocabSize,
        };
        return (name, c.Validated());
    }
}
