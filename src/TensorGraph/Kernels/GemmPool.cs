using System.Runtime.ExceptionServices;

namespace TensorGraph.Kernels;

/// <summary>
/// A tiny pool of persistent background threads for splitting one GEMM across cores without
/// allocating per call: the call is described by a <see cref="GemmArgs"/> copied into a static
/// slot, parked workers are woken by their own event, the calling thread runs part 0 and then
/// spins (yielding, never sleeping) until the pending count reaches zero. The parts are balanced, so
/// that wait is short, and spinning keeps the caller off blocking primitives, whose first blocking
/// wait on a thread allocates. One product uses the pool at a time; a caller that finds it busy
/// (another thread's product) runs single-threaded instead of waiting.
/// </summary>
internal static class GemmPool
{
    private static readonly object Gate = new();
    private static Worker[] s_workers = [];
    private static GemmArgs s_args;
    private static int s_pending;
    private static ExceptionDispatchInfo? s_error;
    private static long s_workerBytes;

    /// <summary>Managed bytes the worker threads have allocated over their wake-ups so far (for tests).</summary>
    internal static long WorkerAllocatedBytes => Interlocked.Read(ref s_workerBytes);

    private static long s_runs;
    private static int s_lastParts;

    /// <summary>Products the pool has split so far (for tests: a one-thread session never adds to it).</summary>
    internal static long SplitProducts => Interlocked.Read(ref s_runs);

    /// <summary>Parts (threads) of the last split product.</summary>
    internal static int LastParts => Volatile.Read(ref s_lastParts);

    /// <summary>Runs parts 0..<c>args.Parts</c>-1 of the product; false when the pool is busy.</summary>
    public static bool TryRun(in GemmArgs args)
    {
        if (!Monitor.TryEnter(Gate)) return false;
        try
        {
            Interlocked.Increment(ref s_runs);
            Volatile.Write(ref s_lastParts, args.Parts);
            int helpers = args.Parts - 1;
            if (s_workers.Length < helpers)
            {
                int had = s_workers.Length;
                Array.Resize(ref s_workers, helpers);
                for (int i = had; i < helpers; i++) s_workers[i] = new Worker(i + 1);
            }
            s_args = args;
            s_error = null;
            Volatile.Write(ref s_pending, helpers);
            for (int i = 0; i < helpers; i++) s_workers[i].Start();
            try
            {
                GemmPacked.Execute(in s_args, 0);
            }
            finally
            {
                var spin = new SpinWait();
                while (Volatile.Read(ref s_pending) != 0) spin.SpinOnce(sleep1Threshold: -1);
                s_args.Scratch = null!;
            }
            s_error?.Throw();
            return true;
        }
        finally
        {
            Monitor.Exit(Gate);
        }
    }

    /// <summary>How long an idle worker spins before it blocks: 50 µs.</summary>
    private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 20_000;

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Workers live as long as the process.")]
    private sealed class Worker
    {
        private readonly ManualResetEventSlim _go = new(false);
        private readonly int _part;

        public Worker(int part)
        {
            _part = part;
            // The event creates its lock object on the first wait that blocks. Block once here, while
            // it cannot be set yet, so that one-time allocation is not made later inside a call.
            _go.Wait(1);
            var t = new Thread(Loop) { IsBackground = true, Name = "TensorGraph GEMM worker " + part };
            t.Start();
        }

        public void Start() => _go.Set();

        private void Loop()
        {
            long seen = GC.GetAllocatedBytesForCurrentThread();
            while (true)
            {
                // Products often come back to back (the layers of one step): stay awake briefly
                // before blocking, so the next call does not pay for waking a sleeping thread.
                long spinUntil = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
                while (!_go.IsSet && System.Diagnostics.Stopwatch.GetTimestamp() < spinUntil) Thread.SpinWait(16);
                _go.Wait();
                long now = GC.GetAllocatedBytesForCurrentThread();
                Interlocked.Add(ref s_workerBytes, now - seen);
                seen = now;
                _go.Reset();
                try
                {
                    GemmPacked.Execute(in s_args, _part);
                }
                catch (Exception e)
                {
                    s_error = ExceptionDispatchInfo.Capture(e);
                }
                finally
                {
                    Interlocked.Decrement(ref s_pending);
                }
            }
        }
    }
}
