using System.IO.Compression;
using Eslm.IO;
using Eslm.Records;

namespace Eslm.Experiments;

/// <summary>
/// Issue 23: a study too long for one sitting is run in parts and committed between them. A finished run keeps only its
/// small files under version control — run.json, eval.json and <see cref="CompressedMetricsFile"/> — while its
/// checkpoints and uncompressed log stay on the machine that trained it (a .gitignore in the study's folder says so).
/// Such a run counts as finished (its eval.json exists), the report reads its compressed log, and a fresh clone can
/// rebuild the report or continue the study where it stopped.
/// </summary>
public static class CommittedRuns
{
    /// <summary>The run's metrics.jsonl, gzipped: what is committed of a finished run's log.</summary>
    public const string CompressedMetricsFile = MetricsLine.CompressedFileName;

    /// <summary>A run's log: metrics.jsonl while it is on disk (it is newer while a run trains), else the compressed copy; null if neither.</summary>
    public static string? MetricsFile(string runDirectory)
    {
        string plain = Path.Combine(runDirectory, MetricsLine.FileName), packed = Path.Combine(runDirectory, CompressedMetricsFile);
        return File.Exists(plain) ? plain : File.Exists(packed) ? packed : null;
    }

    /// <summary>
    /// Writes the compressed copy of a finished run's metrics.jsonl (atomically), unless it is there already and no older
    /// than the log. The bytes depend only on the log (gzip's header carries no name or time), so packing again changes nothing.
    /// </summary>
    public static void Pack(string runDirectory)
    {
        string plain = Path.Combine(runDirectory, MetricsLine.FileName), packed = Path.Combine(runDirectory, CompressedMetricsFile);
        if (!File.Exists(plain)) return;
        if (File.Exists(packed) && File.GetLastWriteTimeUtc(packed) >= File.GetLastWriteTimeUtc(plain)) return;
        byte[] text = File.ReadAllBytes(plain);
        var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.SmallestSize, leaveOpen: true)) gzip.Write(text);
        AtomicFile.WriteAllBytes(packed, buffer.ToArray(), flushToDisk: false);
    }

    /// <summary>The experiment folder's .gitignore: what stays on the machine (checkpoints, the uncompressed log, locks, the
    /// reference's sidecar, retrained copies of the reference and the bases), so that <c>git add DIR</c> commits exactly the study's small files.</summary>
    public const string IgnoreText = """
        # Written by eslm experiment run (issue 23). Committed: experiment.json, report.md, summary.json, plots/, and per run
        # run.json, eval.json and metrics.jsonl.gz. Kept on the machine that trained: checkpoints, the uncompressed log,
        # files being written (.NAME.tmp-…), locks, the reference's loss sidecar, retrained copies of the reference and bases.
        step-*/
        .*.tmp-*
        metrics.jsonl
        *.lock
        *.lock.*
        *.reference-losses.bin
        reference/rebuilt/
        base/*/rebuilt/
        */base/*/rebuilt/

        """;

    /// <summary>Writes <see cref="IgnoreText"/> as DIR/.gitignore unless the folder has one (a user's own is kept).</summary>
    public static void WriteIgnoreFile(string experimentDirectory)
    {
        string path = Path.Combine(experimentDirectory, ".gitignore");
        if (!File.Exists(path)) AtomicFile.WriteAllText(path, IgnoreText, flushToDisk: false);
    }
}
