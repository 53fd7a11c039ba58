using System.Text.RegularExpressions;
using Xunit;

namespace Eslm.Tests.Architecture;

/// <summary>
/// Floats in tests are compared with a tolerance, never by rounding to N decimals: xUnit's
/// <c>Assert.Equal(double, double, int precision)</c> rounds both sides, so two values 4e-9 apart can land on either side
/// of a rounding boundary and fail on one CPU only (it did on an Intel Xeon). This scan keeps the pattern out of the suite.
/// </summary>
public class FloatAssertionTests
{
    [Fact]
    public void No_test_compares_floats_by_rounding_to_a_number_of_decimals()
    {
        string tests = Path.Combine(Tokenization.Gpt2TokenizerTests.RepoRoot(), "tests");
        var offenders = Directory.EnumerateFiles(tests, "*.cs", SearchOption.AllDirectories)
            .Where(p => !p.Split(Path.DirectorySeparatorChar).Any(d => d is "bin" or "obj"))
            .SelectMany(p => RoundingAssertions(CSharpText.CodeOnly(File.ReadAllText(p)))
                .Select(line => $"{Path.GetRelativePath(tests, p)}:{line}"))
            .ToList();
        Assert.True(offenders.Count == 0, "Assert.Equal(a, b, <decimals>) rounds; give a tolerance instead:\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void The_scan_finds_a_rounding_assertion_and_passes_a_tolerance()
    {
        Assert.Equal([2], RoundingAssertions("x();\nAssert.Equal(a, F(b, 3), 6);"));
        Assert.Empty(RoundingAssertions("Assert.Equal(a, b, 1e-6); Assert.Equal(3, F(x, 4)); Assert.Equal(a, b, tolerance);"));
    }

    /// <summary>Line numbers of <c>Assert.Equal</c> calls with three top-level arguments, the last an integer literal.</summary>
    public static List<int> RoundingAssertions(string code)
    {
        var lines = new List<int>();
        foreach (Match m in Regex.Matches(code, @"Assert\.Equal\("))
        {
            var args = TopLevelArguments(code, m.Index + m.Length);
            if (args.Count == 3 && Regex.IsMatch(args[2], @"^\s*\d+\s*$"))
                lines.Add(code.AsSpan(0, m.Index).Count('\n') + 1);
        }
        return lines;
    }

    private static List<string> TopLevelArguments(string code, int start)
    {
        var args = new List<string>();
        int depth = 1, from = start, i = start;
        for (; i < code.Length && depth > 0; i++)
        {
            char c = code[i];
            if (c is '(' or '[' or '{') depth++;
            else if (c is ')' or ']' or '}') depth--;
            else if (c == ',' && depth == 1) { args.Add(code[from..i]); from = i + 1; }
        }
        args.Add(code[from..Math.Max(from, i - 1)]);
        return args;
    }
}
