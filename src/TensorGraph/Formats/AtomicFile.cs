using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace TensorGraph.Serialization;

/// <summary>
/// Replaces files atomically: the content goes to a temporary file in the destination's folder,
/// which is then renamed over the destination. A failure while writing leaves the previous file
/// untouched and deletes the temporary file.
/// </summary>
/// <remarks>
/// Temporary names are <c>&lt;target&gt;.tmp-&lt;pid&gt;-&lt;16 hex digits&gt;</c>, so a writer that was
/// killed before it could clean up is recognizable: every write first removes the temporary
/// files of the same target whose process is gone (or that are older than
/// <see cref="StaleAge"/>), never those of a live writer.
/// </remarks>
internal static partial class AtomicFile
{
    /// <summary>
    /// A temporary file older than this is stale even when a process with its writer's id is
    /// alive (the id may have been reused). Temporary names of earlier versions, which carry no
    /// process id (<c>.tmp&lt;hex&gt;</c>, <c>.tempstate&lt;hex&gt;</c>), are removed only past this age.
    /// </summary>
    internal static readonly TimeSpan StaleAge = TimeSpan.FromHours(24);

    [GeneratedRegex(@"^\.(?:tmp-(?<pid>[0-9]{1,10})-[0-9a-f]{16}|tmp[0-9a-f]{1,16}|tempstate[0-9a-f]{1,16})$", RegexOptions.CultureInvariant)]
    private static partial Regex TempSuffix();

    private static readonly AsyncLocal<Action<string>?> Fault = new();

    /// <summary>
    /// Test hook: called with the temporary file's path after the content is written and before the
    /// rename; an exception it throws aborts the write. Scoped to the current async flow.
    /// </summary>
    internal static Action<string>? FaultInjection
    {
        get => Fault.Value;
        set => Fault.Value = value;
    }

    /// <summary>
    /// A fresh temporary name next to <paramref name="path"/> (same folder, so the rename stays on
    /// one volume): <c>path.tmp-&lt;pid&gt;-&lt;16 hex digits&gt;</c>.
    /// </summary>
    public static string TempPathFor(string path) =>
        string.Create(CultureInfo.InvariantCulture, $"{path}.tmp-{Environment.ProcessId}-{Random.Shared.NextInt64():x16}");

    /// <summary>
    /// Removes the stale temporary files (or folders) of <paramref name="path"/> left in its folder
    /// by writers that died before cleaning up. Returns how many were removed.
    /// </summary>
    public static int CleanStaleTemps(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        var name = Path.GetFileName(full);
        var dir = Path.GetDirectoryName(full);
        if (dir is null || name.Length == 0) return 0;
        return CleanStaleTemps(dir, name + ".t*", n => n.StartsWith(name, StringComparison.Ordinal) ? n[name.Length..] : null);
    }

    /// <summary>
    /// Removes the stale temporary entries of <paramref name="directory"/> among those matching
    /// <paramref name="searchPattern"/>: <paramref name="suffixOf"/> maps an entry name to the part
    /// after its target's name (null when the entry belongs to no target of interest), and entries
    /// whose suffix is a temporary suffix of a dead (or <see cref="StaleAge"/>-old) writer go.
    /// Failures to list or delete are ignored: a stray temporary file is harmless.
    /// </summary>
    internal static int CleanStaleTemps(string directory, string searchPattern, Func<string, string?> suffixOf)
    {
        int removed = 0;
        try
        {
            if (!Directory.Exists(directory)) return 0;
            foreach (var entry in Directory.EnumerateFileSystemEntries(directory, searchPattern))
            {
                var suffix = suffixOf(Path.GetFileName(entry));
                if (suffix is null) continue;
                var m = TempSuffix().Match(suffix);
                if (!m.Success || !IsStale(entry, m.Groups["pid"])) continue;
                if (TryDeleteEntry(entry)) removed++;
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return removed;
    }

    private static bool IsStale(string entry, Group pid)
    {
        var written = Directory.Exists(entry) ? Directory.GetLastWriteTimeUtc(entry) : File.GetLastWriteTimeUtc(entry);
        var age = DateTime.UtcNow - written;
        if (age > StaleAge) return true;
        if (!pid.Success || !int.TryParse(pid.Value, NumberStyles.None, CultureInfo.InvariantCulture, out int id)) return false;
        return !IsProcessAlive(id);
    }

    /// <summary>True when a process with id <paramref name="pid"/> exists on this machine (the current one always does).</summary>
    internal static bool IsProcessAlive(int pid) => ProcessLiveness.IsAlive(pid);

    private static bool TryDeleteEntry(string entry)
    {
        try
        {
            if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true);
            else File.Delete(entry);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>, atomically.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(write);
        var temp = TempPathFor(path);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null && !Directory.Exists(dir))
            throw new DirectoryNotFoundException($"Cannot write '{path}': the folder '{dir}' does not exist");
        CleanStaleTemps(path);
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(fs);
                fs.Flush(true);
            }
            FaultInjection?.Invoke(temp);
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/>, atomically.</summary>
    public static void WriteAllBytes(string path, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        Write(path, s => s.Write(bytes));
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 without a byte-order mark to <paramref name="path"/>, atomically.</summary>
    public static void WriteAllText(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        WriteAllBytes(path, new UTF8Encoding(false).GetBytes(text));
    }

    /// <summary>Deletes <paramref name="path"/> if it exists, ignoring failures (a stray temporary file is harmless).</summary>
    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
