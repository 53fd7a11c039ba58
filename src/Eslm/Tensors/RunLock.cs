using System.Globalization;

namespace Eslm.Tensors;

/// <summary>
/// An exclusive lock on an output folder (a run, an experiment) or file (a sidecar), held for the life of a command, so two
/// processes can never write one output at once (issue 13, item 1).
/// <para>Two files: <c>NAME.lock</c> is held open with <see cref="FileShare.None"/> (on Linux a kernel <c>flock</c>,
/// released by the kernel when the process dies, so a dead holder can never block), and <c>NAME.lock.owner</c> records the
/// holder's pid for messages (the locked file itself cannot be read by another process). An owner file found when the lock
/// is free was left by a process that died holding it: reported, then taken over.</para>
/// <para>The (empty) lock file is never deleted: deleting it on release would let a process that opened the old file just
/// before the delete lock that orphan while a third locks a new file of the same name, and both would run.</para>
/// Depends on nothing else in Eslm, so every layer may use it.
/// </summary>
public sealed class RunLock : IDisposable
{
    private readonly FileStream _stream;
    private readonly string _owner;

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

    /// <summary>Locks an output file (its folder must exist).</summary>
    public static RunLock AcquireFile(string file, Action<string>? warn = null) => Acquire(FileForFile(file), file, warn);

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
            string holder = ReadPid(owner) is { } pid ? $"process {pid}" : "another process";
            throw new IOException($"{target}: in use by {holder} (lock {lockPath}); wait for it to finish, or stop it, before running another command on it");
        }
        if (ReadPid(owner) is { } previous && previous != Environment.ProcessId)
            warn?.Invoke($"{target}: took over the lock left by process {previous}, which is no longer running");
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

    private static int? ReadPid(string owner)
    {
        try { return int.TryParse(File.ReadAllText(owner).Trim(), CultureInfo.InvariantCulture, out int pid) ? pid : null; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>Removes the owner file, then releases the lock.</summary>
    public void Dispose()
    {
        try { File.Delete(_owner); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        _stream.Dispose();
    }
}
