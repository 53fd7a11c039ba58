using System.Text.RegularExpressions;

namespace Eslm.Cli;

/// <summary>
/// An exception's message in Eslm's words: "PATH: problem". Eslm's own messages already read so; the few .NET texts that
/// reach the user unchanged (a dangling symbolic link gives "Could not find file '…'.", a folder opened as a file gives
/// "Access to the path '…' is denied.") are rewritten to the same shape.
/// </summary>
public static partial class ErrorText
{
    public static string Of(Exception e)
    {
        string message = e.Message;
        if (CouldNotFindFile().Match(message) is { Success: true } file) return $"{file.Groups[1].Value}: {Missing(file.Groups[1].Value)}";
        if (CouldNotFindPart().Match(message) is { Success: true } part) return $"{part.Groups[1].Value}: {Missing(part.Groups[1].Value)}";
        if (AccessDenied().Match(message) is { Success: true } denied)
        {
            string path = denied.Groups[1].Value;
            return Directory.Exists(path) ? $"{path}: is a folder, not a file" : $"{path}: permission denied";
        }
        return string.Join(" ", message.Split(['\n', '\r'], StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()));
    }

    private static string Missing(string path)
    {
        var info = new FileInfo(path);
        return info.LinkTarget is { } target ? $"a symbolic link to {target}, which does not exist" : "not found";
    }

    [GeneratedRegex(@"^Could not find file '(.+)'\.?$")]
    private static partial Regex CouldNotFindFile();

    [GeneratedRegex(@"^Could not find a part of the path '(.+)'\.?$")]
    private static partial Regex CouldNotFindPart();

    [GeneratedRegex(@"^Access to the path '(.+)' is denied\.?$")]
    private static partial Regex AccessDenied();
}
