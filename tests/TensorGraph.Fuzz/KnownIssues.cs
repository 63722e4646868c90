namespace TensorGraph.Fuzz;

/// <summary>
/// Findings whose fix is not in yet: they are still counted and reported as "known", but do not
/// fail a run or a replay. An entry
/// matches a non-typed exception by the library frames on its stack. Remove an entry once its fix
/// lands, so the bounded runs and the regression replay guard it from then on.
/// </summary>
internal static class KnownIssues
{
    /// <summary>
    /// (frame prefix, anywhere, why): the exception is known when its innermost library frame
    /// (or, with <c>anywhere</c>, any library frame) starts with the prefix (<c>Namespace.Type.Method</c>).
    /// </summary>
    public static readonly IReadOnlyList<(string Frame, bool Anywhere, string Why)> Entries =
    [
    ];

    /// <summary>
    /// Regression files (reader/file name under regressions/) reproducing a known issue. They are
    /// not replayed while listed: their pending fix is what keeps them from allocating gigabytes
    /// in the test process.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> Files = new Dictionary<string, string>(StringComparer.Ordinal)
    {
    };

    /// <summary>The reason a regression file is known, or null.</summary>
    public static string? FileReason(string reader, string path) =>
        Files.TryGetValue(reader + "/" + Path.GetFileName(path), out var why) ? why : null;

    /// <summary>The reason when <paramref name="e"/> matches an entry; otherwise null.</summary>
    public static string? Match(Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var frames = Oracle.ProductFrames(e).ToList();
        if (frames.Count == 0) return null;
        foreach (var (frame, anywhere, why) in Entries)
        {
            if (anywhere ? frames.Any(f => f.StartsWith(frame, StringComparison.Ordinal)) : frames[0].StartsWith(frame, StringComparison.Ordinal))
                return why;
        }
        return null;
    }
}
