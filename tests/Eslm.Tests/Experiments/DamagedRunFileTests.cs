using Eslm.Experiments;
using Eslm.Records;
using Eslm.Reporting;
using Eslm.Tests.Data;
using Xunit;

namespace Eslm.Tests.Experiments;

/// <summary>
/// A damaged run file (eval.json cut or of the wrong shape, a metrics line broken in the middle or of the wrong type)
/// makes the report fail with one message naming the file and the problem, instead of a stack trace, a report of NaNs,
/// or a curve silently missing its points. A torn last metrics line (a killed run) is still read past.
/// </summary>
public class DamagedRunFileTests : DataTestBase
{
    private string Finished(out string runDir)
    {
        string root = Path.Combine(Dir, "exp");
        OneRunExperiment.Run(root, "damaged");
        runDir = ExperimentRunner.SeedDirectory(root, "clm", 1);
        return root;
    }

    private static string ReportError(string root) => Assert.Throws<InvalidDataException>(() => ExperimentReport.Write(root)).Message;

    [Theory]
    [InlineData("{\"eval\": [{\"name\": \"noisy\", \"loss\": 6.1", "not valid JSON")]
    [InlineData("[1, 2]", "the file must be a JSON object (got an array)")]
    [InlineData("{\"tasks\": []}", "\"eval\" is missing")]
    [InlineData("{\"eval\": 3}", "\"eval\" must be an array (got a number)")]
    [InlineData("{\"eval\": [{\"name\": \"noisy\", \"loss\": \"6.1\"}]}", "\"eval\"[0].\"loss\" must be a number (got a string)")]
    [InlineData("{\"eval\": [{\"loss\": 6.1}]}", "\"eval\"[0].\"name\" must be a string (got null)")]
    [InlineData("{\"eval\": [{\"name\": \"noisy\", \"loss\": 1e400}]}", "\"eval\"[0].\"loss\" must be finite (got 1e400)")]
    [InlineData("{\"eval\": [{\"name\": \"noisy\", \"domains\": [{\"domain\": \"a\", \"loss\": true}]}]}", "\"eval\"[0].\"domains\"[0].\"loss\" must be a number (got a boolean)")]
    [InlineData("{\"eval\": [], \"machine\": {\"cpu\": \"x\", \"threads\": 1.5}}", "\"machine\".\"threads\" must be an integer (got a number)")]
    public void A_damaged_eval_json_is_one_error_naming_the_file_and_field(string content, string problem)
    {
        string root = Finished(out string run);
        string eval = Path.Combine(run, ExperimentRunner.EvalFile);
        File.WriteAllText(eval, content);

        string message = ReportError(root);

        Assert.StartsWith($"{eval}: ", message);
        Assert.Contains(problem, message);
        Assert.DoesNotContain('\n', message);
    }

    private static string[] LogLines(string run) => File.ReadAllLines(Path.Combine(run, MetricsLine.FileName));

    private static void WriteLog(string run, IEnumerable<string> lines)
    {
        File.WriteAllLines(Path.Combine(run, MetricsLine.FileName), lines);
        File.Delete(Path.Combine(run, MetricsLine.CompressedFileName)); // the report reads the plain log when both exist; keep one
    }

    [Fact]
    public void A_metrics_line_broken_in_the_middle_is_an_error_naming_its_line()
    {
        string root = Finished(out string run);
        var lines = LogLines(run);
        Assert.True(lines.Length >= 3);
        lines[1] = lines[1][..(lines[1].Length / 2)];
        WriteLog(run, lines);

        string message = ReportError(root);

        Assert.StartsWith($"{Path.Combine(run, MetricsLine.FileName)}:2: not JSON", message);
    }

    [Fact]
    public void A_torn_last_metrics_line_is_read_past()
    {
        string root = Finished(out string run);
        var lines = LogLines(run).ToList();
        int complete = MetricsLine.ReadFile(Path.Combine(run, MetricsLine.FileName)).Count();
        lines.Add(lines[^1][..10]);
        WriteLog(run, lines);

        Assert.Equal(complete, MetricsLine.ReadFile(Path.Combine(run, MetricsLine.FileName)).Count());
        ExperimentReport.Write(root);
    }

    [Fact]
    public void A_metrics_field_of_the_wrong_type_is_an_error_naming_the_line_and_field()
    {
        string root = Finished(out string run);
        var lines = LogLines(run);
        int train = Array.FindIndex(lines, l => l.Contains("\"type\":\"train\""));
        lines[train] = System.Text.RegularExpressions.Regex.Replace(lines[train], "\"loss\":[^,]+", "\"loss\":\"abc\"");
        WriteLog(run, lines);

        string message = ReportError(root);

        Assert.Equal($"{Path.Combine(run, MetricsLine.FileName)}:{train + 1}: \"loss\" must be a number or null (got string)", message);
    }
}
