using System.CommandLine;
using Eslm.Reporting;
using Eslm.Experiments;
using Eslm.Selection;
using Eslm.Training;
using Eslm.IO;

namespace Eslm.Cli.Commands;

/// <summary>`eslm show-selection`: an HTML page showing which tokens of a text a strategy keeps, coloured by score.</summary>
public static class ShowSelectionCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint", "-c") { Description = "Model: a checkpoint or run directory (or preset:NAME)", Required = true };
        var text = new Option<string>("--text") { Description = "UTF-8 text file to score", Required = true };
        var output = new Option<string?>("--out", "-o") { Description = "HTML file to write (default: TEXT-STRATEGY.html in the working directory)" };
        var force = new Option<bool>("--force") { Description = "Replace an existing HTML file" };
        var seq = new Option<int>("--seq", "-t") { Description = "Window length (default: the window an Eslm checkpoint was trained with, else the model's context)", DefaultValueFactory = _ => 0 };
        var invalid = InvalidUtf8Option.Create("Invalid UTF-8 in the text: error or replace (with U+FFFD)");
        var selection = new SelectionCliOptions();
        var backward = new TrainCliOptions(["backward"]); // shown in the page's description: the label an arm with it would get
        var command = new Command("show-selection", "Write an HTML page colouring each token of a text by the strategy's score and marking kept and dropped tokens.");
        foreach (var o in new Option[] { checkpoint, text, output, seq, force, invalid }) command.Options.Add(o);
        selection.AddTo(command);
        backward.AddTo(command);
        command.SetAction(r => CliRunner.Run(() =>
        {
            CliRunner.ConfigureThreads(0);
            string textPath = r.GetValue(text)!;
            Eslm.Data.DocumentReader.RequireFile(textPath);
            // Eslm's text rules (as prepare and tokenize): UTF-16, binary and invalid UTF-8 are refused before the model loads.
            var (bytes, _, _) = Eslm.Data.DocumentReader.ReadBytes(new Eslm.Data.InputFile(textPath));
            string content = Eslm.Data.TextDecoding.Decode(bytes, textPath, InvalidUtf8Option.Value(r, invalid));
            var tokens = new[] { TextData.EndOfText }.Concat(TextData.Encode(content)).ToArray();
            if (tokens.Length < 2) throw new InvalidDataException($"{textPath}: no text to score (the file is empty)");
            var sel = selection.Resolve(r);
            selection.CheckIgnored(r, sel, m => Console.Error.WriteLine($"eslm: warning: {m}"));
            // Default output in the working directory, not beside the input (which may be a source tree or read-only).
            string outPath = r.GetValue(output) ?? Path.GetFileNameWithoutExtension(textPath) + $"-{sel.Strategy}.html";
            OutputFiles.RequireNew(outPath, r.GetValue(force));
            OutputFiles.RequireApartFromInputs(outPath, [textPath, .. ModelLoader.FilesRead(r.GetValue(checkpoint)),
                .. SelectionBinding.Paths(sel).SelectMany(p => ModelLoader.FilesRead(p.Path))]);
            using var model = ModelLoader.Load(r.GetValue(checkpoint)!);
            int T = ModelLoader.Window(r.GetValue(seq), model.Config, ModelLoader.TrainedWindow(r.GetValue(checkpoint)!));
            var selector = StrategyRegistry.Create(sel);
            var scoredText = TextSelection.Score(model, selector, tokens, ModelLoader.Load, T);
            var scored = SelectionPage.Tokens(tokens, scoredText.Scores, scoredText.Losses, scoredText.Entropies, scoredText.Kept, TextData.TokenBytes);
            string models = string.Concat(SelectionBinding.Paths(sel).Select(p => $" ({p.Flag.TrimStart('-')} {p.Path})"));
            string description = $"Strategy {ArmSpec.Describe(sel, backward.Resolve(r, new Training.TrainOptions()).Backward)}{models} on {Path.GetFileName(textPath)} " +
                                 $"with {r.GetValue(checkpoint)} ({model.Config}). Selection runs over the whole text as one micro-batch " +
                                 "(per window for --selection-scope sequence); the colour is the score's rank.";
            AtomicFile.WriteAllText(outPath, SelectionPage.Html(scored, $"What {sel.Strategy} keeps", description), flushToDisk: false); // issue 21: a page appears only when complete
            Console.Error.WriteLine($"eslm show-selection: {scored.Count} tokens, {scored.Count(t => t.Kept)} kept");
            Console.WriteLine(outPath);
            return 0;
        }));
        return command;
    }
}
