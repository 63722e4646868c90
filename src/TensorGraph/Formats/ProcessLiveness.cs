using System.Runtime.InteropServices;

namespace TensorGraph.Serialization;

/// <summary>
/// Whether a process id names a live process on this machine, asked of the operating system
/// directly (POSIX <c>kill(pid, 0)</c>; Windows <c>OpenProcess</c> and <c>GetExitCodeProcess</c>).
/// The core library only queries ids: it never starts, stops or otherwise manages processes, so
/// it does not use <c>System.Diagnostics.Process</c>.
/// </summary>
internal static partial class ProcessLiveness
{
    private const int Eperm = 1;
    private const uint ProcessQueryLimitedInformation = 0x1000;
    private const uint StillActive = 259;
    private const int ErrorAccessDenied = 5;

    /// <summary>True when a process with id <paramref name="pid"/> exists (the current one always does).</summary>
    public static bool IsAlive(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        if (pid <= 0) return false;
        try
        {
            return OperatingSystem.IsWindows() ? IsAliveWindows(pid) : IsAlivePosix(pid);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // No way to ask: count the writer as alive, so only age makes its files stale.
            return true;
        }
    }

    private static bool IsAlivePosix(int pid)
    {
        // Signal 0 checks existence and permission without sending anything; EPERM means the
        // process exists but belongs to another user.
        if (Kill(pid, 0) == 0) return true;
        return Marshal.GetLastPInvokeError() == Eperm;
    }

    private static bool IsAliveWindows(int pid)
    {
        var handle = OpenProcess(ProcessQueryLimitedInformation, false, (uint)pid);
        if (handle == IntPtr.Zero) return Marshal.GetLastPInvokeError() == ErrorAccessDenied;
        try
        {
            return GetExitCodeProcess(handle, out uint code) && code == StillActive;
        }
        finally
        {
            CloseHandle(handle);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    private static partial IntPtr OpenProcess(uint access, [MarshalAs(UnmanagedType.Bool)] bool inheritHandle, uint processId);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool GetExitCodeProcess(IntPtr process, out uint exitCode);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool CloseHandle(IntPtr handle);
}
