using System.Runtime.ExceptionServices;

namespace TensorGraph.Training;

/// <summary>
/// TF's <c>tf.train.Coordinator</c>: lets threads ask each other to stop and reports the first
/// exception to the thread that joins them. <see cref="RequestStop(Exception?)"/> with an exception
/// records it (only the first request does; <see cref="OutOfRangeException"/>, the normal end of an
/// input, is a clean stop and is not recorded); <see cref="Join"/> waits for the registered threads
/// (until they end or a stop is requested, then up to a grace period), then rethrows the recorded
/// exception, or fails naming the threads still running.
/// </summary>
public sealed class Coordinator
{
    private readonly Lock _lock = new();
    private readonly object _signal = new(); // Monitor: pulsed when a stop is requested
    private volatile bool _stopped;
    private readonly List<Thread> _threads = [];
    private readonly Type[] _cleanStopExceptionTypes;
    private ExceptionDispatchInfo? _exception;
    private bool _joined;

    /// <summary>
    /// Creates a coordinator. <paramref name="cleanStopExceptionTypes"/> are the exception types that
    /// stop cleanly when passed to <see cref="RequestStop(Exception?)"/> (TF's default: OutOfRange).
    /// </summary>
    public Coordinator(params Type[]? cleanStopExceptionTypes)
    {
        _cleanStopExceptionTypes = cleanStopExceptionTypes is { Length: > 0 } t ? t : [typeof(OutOfRangeException)];
    }

    /// <summary>Whether a stop was requested (TF's <c>should_stop()</c>).</summary>
    public bool ShouldStop => _stopped;

    /// <summary>
    /// Asks every thread to stop (TF's <c>request_stop(ex)</c>). The first call that brings an
    /// exception which is not a clean-stop type records it for <see cref="Join"/>. After
    /// <see cref="Join"/>, an exception passed here is thrown to the caller instead, since nobody
    /// would see it.
    /// </summary>
    public void RequestStop(Exception? exception = null)
    {
        lock (_lock)
        {
            if (exception is not null && _cleanStopExceptionTypes.Any(t => t.IsInstanceOfType(exception))) exception = null;
            if (_joined && exception is not null) ExceptionDispatchInfo.Capture(exception).Throw();
            if (!_stopped)
            {
                if (exception is not null && _exception is null) _exception = ExceptionDispatchInfo.Capture(exception);
                lock (_signal)
                {
                    _stopped = true;
                    Monitor.PulseAll(_signal);
                }
            }
        }
    }

    /// <summary>Clears the stop request and the recorded exception (TF's <c>clear_stop()</c>).</summary>
    public void ClearStop()
    {
        lock (_lock)
        {
            _joined = false;
            _exception = null;
            _stopped = false;
        }
    }

    /// <summary>Waits until a stop is requested or <paramref name="timeout"/> passes; true if stopped (TF's <c>wait_for_stop</c>).</summary>
    public bool WaitForStop(TimeSpan? timeout = null)
    {
        long end = timeout is { } t ? Environment.TickCount64 + (long)t.TotalMilliseconds : long.MaxValue;
        lock (_signal)
        {
            while (!_stopped)
            {
                long left = end - Environment.TickCount64;
                if (left <= 0) return false;
                Monitor.Wait(_signal, (int)Math.Min(left, int.MaxValue));
            }
            return true;
        }
    }

    /// <summary>Waits until a stop is requested or <paramref name="cancellationToken"/> is cancelled; true if stopped.</summary>
    public bool WaitForStop(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            if (WaitForStop(TimeSpan.FromMilliseconds(50))) return true;
        }
        return _stopped;
    }

    /// <summary>Registers a thread for <see cref="Join"/> (TF's <c>register_thread</c>).</summary>
    public void RegisterThread(Thread thread)
    {
        ArgumentNullException.ThrowIfNull(thread);
        lock (_lock) _threads.Add(thread);
    }

    /// <summary>The registered threads still running.</summary>
    public IReadOnlyList<Thread> LiveThreads
    {
        get
        {
            lock (_lock) return [.. _threads.Where(t => t.IsAlive)];
        }
    }

    /// <summary>
    /// Waits for the registered threads and <paramref name="threads"/> (TF's <c>join</c>): until
    /// all have ended or a stop is requested; then up to <paramref name="stopGracePeriod"/>
    /// (default 2 minutes, TF's 120 s) for the rest. Rethrows the exception recorded by
    /// <see cref="RequestStop(Exception?)"/>, if any; otherwise threads still alive are an
    /// <see cref="InvalidOperationException"/> ("Coordinator stopped with threads still running:
    /// …") unless <paramref name="ignoreLiveThreads"/>.
    /// </summary>
    public void Join(IEnumerable<Thread>? threads = null, TimeSpan? stopGracePeriod = null, bool ignoreLiveThreads = false)
    {
        Thread[] all;
        lock (_lock) all = [.. _threads.Union(threads ?? [])];
        while (all.Any(t => t.IsAlive) && !WaitForStop(TimeSpan.FromMilliseconds(100)))
        {
        }
        var grace = stopGracePeriod ?? TimeSpan.FromSeconds(120);
        var deadline = DateTime.UtcNow + grace;
        foreach (var t in all)
        {
            var left = deadline - DateTime.UtcNow;
            if (left > TimeSpan.Zero && t.IsAlive) t.Join(left);
        }
        var stragglers = all.Where(t => t.IsAlive).Select(t => t.Name ?? $"thread {t.ManagedThreadId}").ToArray();
        lock (_lock)
        {
            _joined = true;
            _threads.Clear();
            _exception?.Throw();
        }
        if (stragglers.Length > 0 && !ignoreLiveThreads)
            throw new InvalidOperationException("Coordinator stopped with threads still running: " + string.Join(" ", stragglers));
    }

    /// <summary>Whether <see cref="Join"/> has been called (TF's <c>joined</c>).</summary>
    public bool Joined
    {
        get
        {
            lock (_lock) return _joined;
        }
    }

    /// <summary>Rethrows the exception recorded by <see cref="RequestStop(Exception?)"/>, if any (TF's <c>raise_requested_exception</c>).</summary>
    public void RaiseRequestedException()
    {
        lock (_lock) _exception?.Throw();
    }

    /// <summary>
    /// Runs <paramref name="body"/>; an exception it throws requests a stop with that exception
    /// (TF's <c>with coord.stop_on_exception():</c>) and is not rethrown.
    /// </summary>
    public void StopOnException(Action body)
    {
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            body();
        }
#pragma warning disable CA1031 // the point of the method: any failure becomes a stop request
        catch (Exception e)
#pragma warning restore CA1031
        {
            RequestStop(e);
        }
    }
}
