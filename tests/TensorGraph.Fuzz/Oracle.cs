using System.Diagnostics;

namespace TensorGraph.Fuzz;

/// <summary>What one case did.</summary>
internal enum Verdict
{
    /// <summary>The reader accepted the input.</summary>
    Accepted,

    /// <summary>The reader refused it with a <see cref="TensorGraphException"/>.</summary>
    TypedError,

    /// <summary>Any other exception, or a limit exceeded: a bug.</summary>
    Finding,

    /// <summary>A finding listed in <see cref="KnownIssues"/>.</summary>
    Known,
}

/// <summary>The outcome of one case.</summary>
internal sealed record CaseResult(Verdict Verdict, string Signature, Exception? Exception, long AllocatedBytes, TimeSpan Elapsed, string? Known = null)
{
    public string Describe() => Exception is null ? Signature : $"{Signature}: {Exception.GetType().FullName}: {Exception.Message}";
}

/// <summary>Limits a case must stay within.</summary>
internal sealed record Limits(long MaxAllocatedBytes = 384L << 20, double MaxSeconds = 5);

/// <summary>
/// The oracle: a reader fed any bytes must either accept them or throw a
/// <see cref="TensorGraphException"/>. Anything else — a .NET exception escaping (IndexOutOfRange,
/// Overflow, NullReference, OutOfMemory, an IOException, …), allocating more than
/// <see cref="Limits.MaxAllocatedBytes"/> on the case's thread, or running longer than
/// <see cref="Limits.MaxSeconds"/> — is a finding. No IOException subtype is accepted: readers
/// convert truncation and corruption into <see cref="DataLossException"/> naming the file.
/// </summary>
internal static class Oracle
{
    public static CaseResult Run(FuzzTarget target, FuzzInput input, string scratch, Limits limits)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(limits);
        // The readers run under tensor budgets below the case's memory limit, as a user would set
        // MemoryLimits for untrusted files: a file claiming a giant tensor must then fail with
        // ResourceExhausted instead of allocating up to the machine's default budget.
        long tensorBudget = MemoryLimits.MaxTensorBytes, runBudget = MemoryLimits.MaxRunBytes;
        MemoryLimits.MaxTensorBytes = Math.Min(tensorBudget, limits.MaxAllocatedBytes / 2);
        MemoryLimits.MaxRunBytes = Math.Min(runBudget, limits.MaxAllocatedBytes / 2);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();
        Exception? error = null;
        try
        {
            target.Execute(input, scratch);
        }
        catch (Exception e)
        {
            error = e;
        }
        finally
        {
            MemoryLimits.MaxTensorBytes = tensorBudget;
            MemoryLimits.MaxRunBytes = runBudget;
        }
        sw.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        if (error is not null and not TensorGraphException)
        {
            var known = target.KnownIssue(error);
            return new CaseResult(known is null ? Verdict.Finding : Verdict.Known, Signature(error), error, allocated, sw.Elapsed, known);
        }
        if (allocated > limits.MaxAllocatedBytes)
            return new CaseResult(Verdict.Finding, $"memory: {allocated >> 20} MB allocated", error, allocated, sw.Elapsed);
        if (sw.Elapsed.TotalSeconds > limits.MaxSeconds)
            return new CaseResult(Verdict.Finding, $"timeout: {sw.Elapsed.TotalSeconds:F1} s", error, allocated, sw.Elapsed);
        return new CaseResult(error is null ? Verdict.Accepted : Verdict.TypedError, error is null ? "ok" : error.GetType().Name, error, allocated, sw.Elapsed);
    }

    /// <summary>Exception type plus the innermost TensorGraph frame: one signature per bug, whatever the input.</summary>
    public static string Signature(Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return $"{e.GetType().Name} at {FirstProductFrame(e) ?? "?"}";
    }

    /// <summary>The innermost stack frame of the library (TensorGraph, not the harness), as Namespace.Type.Method.</summary>
    public static string? FirstProductFrame(Exception e) => ProductFrames(e).FirstOrDefault();

    /// <summary>The library's frames of <paramref name="e"/>'s stack, innermost first (generated protobuf code left out).</summary>
    public static IEnumerable<string> ProductFrames(Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var trace = new StackTrace(e, false);
        foreach (var f in trace.GetFrames())
        {
            var m = f.GetMethod();
            var t = m?.DeclaringType;
            if (t is null) continue;
            var declaring = t.Name;
            // Compiler-generated iterator/lambda classes: report their declaring type.
            while (t.DeclaringType is not null && t.Name.Contains('<', StringComparison.Ordinal)) t = t.DeclaringType;
            if (t.Assembly == typeof(Graph).Assembly && t.Namespace?.StartsWith("TensorGraph.Proto", StringComparison.Ordinal) != true)
                yield return $"{t.FullName}.{CleanName(m!.Name, declaring)}";
        }
    }

    private static string CleanName(string method, string declaring)
    {
        // "<Iterate>d__3.MoveNext" → "Iterate"; "<Load>b__0" → "Load".
        var src = method == "MoveNext" && declaring.StartsWith('<') ? declaring : method;
        if (src.StartsWith('<'))
        {
            int end = src.IndexOf('>', StringComparison.Ordinal);
            if (end > 1) return src[1..end];
        }
        return src;
    }
}
