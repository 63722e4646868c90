using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace TensorGraph.Runtime;

/// <summary>
/// What stops a run before its next node (both schedulers call <see cref="CheckStop"/>): the
/// caller's token, a deadline, and the session being disposed. Checking allocates nothing.
/// </summary>
internal sealed partial class ExecState
{
    private CancellationToken _token;
    private long _deadline; // a Stopwatch timestamp; 0 for none
    private long _timeoutMs;

    private int _outerThreadLimit;

    /// <summary>Starts a run: its stop conditions, and the session's intra-op thread cap for the kernels on this thread.</summary>
    private void BeginStopChecks(long timeoutMs, int intraOpThreads, CancellationToken cancellationToken)
    {
        _outerThreadLimit = Kernels.Gemm.RunThreadLimit;
        Kernels.Gemm.RunThreadLimit = intraOpThreads;
        _token = cancellationToken;
        _timeoutMs = timeoutMs;
        _deadline = timeoutMs > 0 ? Deadline(timeoutMs) : 0;
    }

    private void EndStopChecks()
    {
        _token = default;
        Kernels.Gemm.RunThreadLimit = _outerThreadLimit;
    }

    /// <summary>
    /// What a nested run (a function called by a kernel of this run) must stop on: the time left
    /// before this run's deadline in milliseconds (0 for none; at least 1 while one is set) and its token.
    /// </summary>
    internal (long TimeoutMs, CancellationToken Token) StopConditions()
    {
        if (_deadline == 0) return (0, _token);
        long left = (long)((_deadline - Stopwatch.GetTimestamp()) * 1000.0 / Stopwatch.Frequency);
        return (Math.Max(left, 1), _token);
    }

    private static long Deadline(long timeoutMs)
    {
        double ticks = timeoutMs * (double)Stopwatch.Frequency / 1000;
        long now = Stopwatch.GetTimestamp();
        return ticks >= long.MaxValue - now ? long.MaxValue : now + (long)ticks;
    }

    /// <summary>
    /// Throws if the run must stop. The executors call it before each node; a kernel that could
    /// block or run long may call it too (through <c>OpContext.State</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void CheckStop()
    {
        if (Plan.Session.IsClosed || _token.IsCancellationRequested || (_deadline != 0 && Stopwatch.GetTimestamp() >= _deadline))
            throw StopError();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private TensorGraphException StopError()
    {
        if (Plan.Session.IsClosed) return new CancelledException("Run call was cancelled: the session was closed while the run was in flight");
        if (_token.IsCancellationRequested) return CancelledError();
        return new DeadlineExceededException(
            $"Timed out waiting for notification: the run did not finish within its timeout of {_timeoutMs} ms");
    }

    /// <summary>TF's error for a run whose cancellation was requested.</summary>
    public static CancelledException CancelledError() => new("Run call was cancelled");
}
