using System.Runtime.InteropServices;

namespace Eslm.Native;

/// <summary>
/// Environment variables that native libraries read with getenv. On Linux, .NET's Environment.SetEnvironmentVariable
/// does not reach native getenv, so this calls libc directly; set before the library that reads them loads.
/// </summary>
internal static class NativeEnvironment
{
    /// <summary>Sets <paramref name="name"/> unless the user already did (their choice wins).</summary>
    public static void SetDefault(string name, string value)
    {
        if (getenv(name) == IntPtr.Zero) setenv(name, value, 0);
    }

    [DllImport("libc", CharSet = CharSet.Ansi)] private static extern int setenv(string name, string value, int overwrite);
    [DllImport("libc", CharSet = CharSet.Ansi)] private static extern IntPtr getenv(string name);
}
