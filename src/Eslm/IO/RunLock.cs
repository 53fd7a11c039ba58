using System.Diagnostics;
using System.Globalization;

namespace Eslm.IO;

/// <summary>
/// A lock on an output folder (a run, an experiment) or file (a sidecar), held for the life of a command, so two processes
/// can never write one output at once (issue 13, item 1; docs/cli-rules.md, "Locks").
/// <para>Two files: <c>NAME.lock</c> is held open (on Linux a kernel <c>flock</c>, released by the kernel when the process
/// dies, so a dead holder can never block), and <c>NAME.lock.owner</c> records the exclusive holder's pid for messages (the
/// locked file itself cannot be read by another process). An owner file found when the lock is free was left by a process
/// that died holding it: reported, then taken over.</para>
/// <para>A lock is exclusive (one writer) or shared (<see cref="AcquireFolderShared"/>: several cooperating processes, such
/// as experiment workers, that each claim their own part; an exclusive request is refused while any of them runs). Shared
/// holders record their pids in <c>NAME.lock.shared-PID</c>, so a refusal can name every one.</para>
/// <para>The (empty) lock file is never deleted: deleting it on release would let a process that opened the old file just
/// before the delete lock that orphan while a third locks a new file of the same name, and both would run.</para>
/// Depends on nothing else in Eslm, so every layer may use it.
/// </summary>
public sealed class RunLock : IDisposable
{
    private readonly FileStream _stream;
    private string _owner;

    private RunLock(FileStream stream, string owner, string target)
    {
        _stream = stream;
        _owner = owner;
        Target = target;
    }

    /// <summary>The folder or file this lock guards.</summary>
    public string Target { get; }

    /// <summary>The lock file for a folder (<c>DIR/.lock</c>).</summary>
    public static string FileForFolder(string folder) => Path.Combine(folder, ".lock");

    /// <summary>The lock file for an output file (<c>FILE.lock</c>, beside it).</summary>
    public static string FileForFile(string file) => file + ".lock";

    /// <summary>Locks a folder (created when missing). <paramref name="warn"/> hears about a stale lock taken over.</summary>
    public static RunLock AcquireFolder(string folder, Action<string>? warn = null)
    {
        Directory.CreateDirectory(folder);
        return Acquire(FileForFolder(folder), folder, warn);
    }

    /// <summary>
    /// Shares a folder's lock with other shared holders (created when missing); refused while an exclusive holder has it.
    /// The holders must divide the work among themselves (experiment workers claim each run with <see cref="AcquireFile"/>).
    /// </summary>
    public static RunLock AcquireFolderShared(string folder)
    {
        Directory.CreateDirectory(folder);
        string lockPath = FileForFolder(folder);
        FileStream stream;
        try
        {
            // Read access with sharing: .NET takes flock(LOCK_SH), which any number of readers may hold at once.
            stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite, 1);
        }
        catch (IOException) when (File.Exists(lockPath))
        {
            throw InUse(lockPath, folder);
        }
        // No exclusive holder can be alive now: an owner file is a dead one's leftover.
        TryDelete(lockPath + ".owner");
        string mine = SharedOwnerFile(lockPath, Environment.ProcessId);
        try { File.WriteAllText(mine, Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n"); }
        catch { stream.Dispose(); throw; }
        return new RunLock(stream, mine, folder);
    }

    /// <summary>Locks an output file (its folder must exist).</summary>
    public static RunLock AcquireFile(string file, Action<string>? warn = null) => Acquire(FileForFile(file), file, warn);

    /// <summary>
    /// Locks <paramref name="lockPath"/> for <paramref name="target"/>, waiting while another process holds it (for short
    /// critical sections such as rebuilding a report); gives up with the usual message after <paramref name="timeout"/>
    /// (<see cref="Timeout.InfiniteTimeSpan"/>: never).
    /// </summary>
    public static RunLock AcquireWaiting(string lockPath, string target, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try { return Acquire(lockPath, target, null); }
            catch (IOException) when (timeout == Timeout.InfiniteTimeSpan || clock.Elapsed < timeout) { Thread.Sleep(50); }
        }
    }

    private static RunLock Acquire(string lockPath, string target, Action<string>? warn)
    {
        string owner = lockPath + ".owner";
        FileStream stream;
        try
        {
            stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1);
        }
        catch (IOException) when (File.Exists(lockPath))
        {
            throw InUse(lockPath, target);
        }
        if (ReadPid(owner) is { } previous && previous != Environment.ProcessId)
            warn?.Invoke($"{target}: took over the lock left by process {previous}, which is no longer running");
        // Shared holders' pid files left by processes that died (the lock is ours, so none of them is alive).
        foreach (string stale in SharedOwnerFiles(lockPath)) TryDelete(stale);
        try
        {
            File.WriteAllText(owner, Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        }
        catch
        {
            stream.Dispose();
            throw;
        }
        return new RunLock(stream, owner, target);
    }

    /// <summary>"in use by process N" (the exclusive holder) or "in use by processes N, M" (the shared holders).</summary>
    private static IOException InUse(string lockPath, string target)
    {
        List<int> pids = ReadPid(lockPath + ".owner") is { } pid ? [pid]
            : SharedOwnerFiles(lockPath).Select(ReadPid).OfType<int>().Where(IsAlive).Order().ToList();
        string holder = pids.Count switch
        {
            0 => "another process",
            1 => $"process {pids[0]}",
            _ => $"processes {string.Join(", ", pids)}",
        };
        return new IOException($"{target}: in use by {holder} (lock {lockPath}); wait for it to finish, or stop it, before running another command on it");
    }

    private static string SharedOwnerFile(string lockPath, int pid) => $"{lockPath}.shared-{pid.ToString(CultureInfo.InvariantCulture)}";

    private static string[] SharedOwnerFiles(string lockPath)
    {
        try { return Directory.GetFiles(Path.GetDirectoryName(Path.GetFullPath(lockPath))!, Path.GetFileName(lockPath) + ".shared-*"); }
        catch (IOException) { return []; }
    }

    private static bool IsAlive(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try { using var p = Process.GetProcessById(pid); return !p.HasExited; }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    private static int? ReadPid(string owner)
    {
        try { return int.TryParse(File.ReadAllText(owner).Trim(), CultureInfo.InvariantCulture, out int pid) ? pid : null; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>
    /// Tells the lock that its folder was renamed to <paramref name="folder"/> (a folder published by a rename carries its
    /// lock file, which stays locked), so that releasing it removes the owner file at its new place.
    /// </summary>
    public void FolderMovedTo(string folder) => _owner = Path.Combine(folder, Path.GetFileName(_owner));

    /// <summary>Removes the owner file, then releases the lock.</summary>
    public void Dispose()
    {
        TryDelete(_owner);
        _stream.Dispose();
    }
}
