using Eslm.IO;

namespace Eslm.Data;

/// <summary>
/// The output folder of <c>eslm prepare</c> (issue 21, defect 3): locked (<see cref="RunLock"/>, <c>DIR/.lock</c>) from
/// the first check to the end, so two prepares into one folder cannot both run; checked (a dataset is only replaced with
/// --overwrite, any other content never); and published in one rename that is refused when the folder changed since the
/// check (a process that ignores the lock wrote it), so another's output is never silently replaced. The new folder is
/// published carrying its own lock file, locked before the rename, so the lock holds across the swap.
/// </summary>
internal sealed class DatasetOutput : IDisposable
{
    private readonly RunLock _lock;
    private readonly string _snapshot;
    private readonly bool _created;
    private RunLock? _published;
    private bool _done;

    private DatasetOutput(string directory, RunLock held, string snapshot, bool created)
    {
        Directory = directory;
        _lock = held;
        _snapshot = snapshot;
        _created = created;
    }

    /// <summary>The folder's full path.</summary>
    public string Directory { get; }

    /// <summary>Locks and checks <paramref name="directory"/> (named as the user gave it in messages).</summary>
    public static DatasetOutput Open(string directory, bool overwrite)
    {
        string full = Path.GetFullPath(directory);
        if (File.Exists(full)) throw new IOException($"{directory}: exists and is a file, not a dataset folder");
        bool created = !System.IO.Directory.Exists(full);
        var held = RunLock.AcquireFolder(full);
        try
        {
            if (Dataset.LooksLikeDataset(full))
            {
                if (!overwrite) throw new IOException($"{directory}: already holds a dataset (use --overwrite to replace it)");
            }
            else if (Entries(full).Any())
                throw new IOException($"{directory}: exists and is not empty (and is not a dataset); choose another --output");
            return new DatasetOutput(full, held, Snapshot(full), created);
        }
        catch
        {
            held.Dispose();
            if (created) RemoveIfOnlyLocks(full);
            throw;
        }
    }

    /// <summary>Writes the dataset through <paramref name="fill"/> into a temporary folder and renames it into place.</summary>
    public void Publish(Action<string> fill)
    {
        AtomicFile.ReplaceDirectory(Directory, temp =>
        {
            _published = RunLock.AcquireFolder(temp);
            fill(temp);
        }, flushToDisk: false, unchanged: () => Snapshot(Directory) == _snapshot);
        _published!.FolderMovedTo(Directory);
        _done = true;
    }

    /// <summary>What the folder holds apart from lock files: names, sizes and times (a change means another writer).</summary>
    private static string Snapshot(string directory) =>
        System.IO.Directory.Exists(directory)
            ? string.Join("\n", Entries(directory).Select(e => new FileInfo(e)).OrderBy(f => f.Name, StringComparer.Ordinal)
                .Select(f => $"{f.Name}\t{(f.Exists ? f.Length : -1)}\t{f.LastWriteTimeUtc.Ticks}"))
            : "(missing)";

    private static IEnumerable<string> Entries(string directory) =>
        System.IO.Directory.EnumerateFileSystemEntries(directory).Where(e => !Path.GetFileName(e).StartsWith(".lock", StringComparison.Ordinal));

    /// <summary>A folder this command created only to lock it goes again when the command fails: a failure leaves nothing.</summary>
    private static void RemoveIfOnlyLocks(string directory)
    {
        try { if (!Entries(directory).Any()) System.IO.Directory.Delete(directory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    public void Dispose()
    {
        // The old lock first: after a publish its owner file's path is the new lock's, which is still held meanwhile.
        _lock.Dispose();
        _published?.Dispose();
        if (!_done && _created) RemoveIfOnlyLocks(Directory);
    }
}
