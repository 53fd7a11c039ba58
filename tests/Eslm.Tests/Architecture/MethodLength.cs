using System.Text.RegularExpressions;

namespace Eslm.Tests.Architecture;

/// <summary>
/// Measures the members (methods, constructors, operators, accessors) of C# source by brace matching on the code-only
/// text (<see cref="CSharpText.CodeOnly"/>), so braces inside strings and comments do not count. A member runs from the
/// first line of its signature (attributes skipped) to its closing brace; local functions and lambdas count as part of
/// the member that holds them. Expression-bodied members without a block are not measured.
/// </summary>
public static class MethodLength
{
    public sealed record Member(string Name, int Line, int Lines);

    private enum Block { Type, Member, Other }

    private static readonly Regex TypeKeyword = new(@"\b(class|struct|record|interface|enum|namespace)\b");

    public static List<Member> Members(string source)
    {
        string code = CSharpText.CodeOnly(source);
        var members = new List<Member>();
        var stack = new Stack<(Block Kind, string Name, int Line)>();
        int headerStart = 0;
        for (int i = 0; i < code.Length; i++)
        {
            char c = code[i];
            if (c == ';') { headerStart = i + 1; continue; }
            if (c == '{')
            {
                bool inType = stack.Count == 0 || stack.Peek().Kind == Block.Type;
                string header = code[headerStart..i];
                if (!inType) stack.Push((Block.Other, "", 0));
                else if (IsType(header)) stack.Push((Block.Type, "", 0));
                else if (IsFieldInitializer(header)) stack.Push((Block.Other, "", 0));
                else
                {
                    int start = SignatureStart(code, headerStart, i);
                    stack.Push((Block.Member, NameOf(header), LineAt(code, start)));
                }
                headerStart = i + 1;
            }
            else if (c == '}')
            {
                if (stack.Count > 0)
                {
                    var (kind, name, line) = stack.Pop();
                    if (kind == Block.Member) members.Add(new Member(name, line, LineAt(code, i) - line + 1));
                }
                headerStart = i + 1;
            }
        }
        return members;
    }

    private static bool IsType(string header)
    {
        int paren = header.IndexOf('(');
        return TypeKeyword.IsMatch(paren < 0 ? header : header[..paren]);
    }

    /// <summary>A field or property initialiser (<c>x = new() { … }</c>): an '=' outside brackets that is not '=>' or a comparison.</summary>
    private static bool IsFieldInitializer(string header)
    {
        int depth = 0;
        for (int i = 0; i < header.Length; i++)
        {
            char c = header[i];
            if (c is '(' or '[' or '<') depth++;
            else if (c is ')' or ']' or '>') depth--;
            else if (c == '=' && depth == 0)
            {
                char next = i + 1 < header.Length ? header[i + 1] : ' ';
                char prev = i > 0 ? header[i - 1] : ' ';
                if (next is '>' or '=' || prev is '=' or '!' or '<' or '>') { i++; continue; }
                return true;
            }
        }
        return false;
    }

    /// <summary>The first code line of the header, past attribute lists (<c>[Fact]</c>) and blank space.</summary>
    private static int SignatureStart(string code, int from, int to)
    {
        int i = from;
        while (i < to)
        {
            while (i < to && char.IsWhiteSpace(code[i])) i++;
            if (i >= to || code[i] != '[') break;
            int depth = 0;
            for (; i < to; i++)
            {
                if (code[i] == '[') depth++;
                else if (code[i] == ']' && --depth == 0) { i++; break; }
            }
        }
        return Math.Min(i, to);
    }

    private static string NameOf(string header)
    {
        int paren = header.IndexOf('(');
        string head = (paren < 0 ? header : header[..paren]).Trim();
        var m = Regex.Match(head, @"(operator\s*\S+|[\w.]+(<[^()]*>)?)\s*$");
        return m.Success ? m.Value.Trim() : head;
    }

    private static int LineAt(string code, int index) => code.AsSpan(0, index).Count('\n') + 1;
}
