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
    private static volatile bool s_busy;

    /// <summary>
    /// Whether a split is running on the pool's threads now: the inter-op executor then holds its
    /// helpers back, since every core is already taken.
    /// </summary>
    internal static bool Busy => s_busy;
    private static int s_lastParts;

    /// <summary>Products the pool has split so far (for tests: a one-thread session never adds to it).</summary>
    internal static long SplitProducts => Interlocked.Read(ref s_runs);

    /// <summary>Parts (threads) of the last split product.</summary>
    internal static int LastParts => Volatile.Read(ref s_lastParts);

    // The work of the current split when it is not a product (a kernel's own parts), else null.
    private static IParallelParts? s_body;
    private static int s_bodyParts;

    // Set while this thread runs a part of a split: a product or split started inside one stays
    // on this thread (the pool is already in use, and its slot holds the outer split).
    [ThreadStatic]
    private static bool t_inPart;

    /// <summary>
    /// Runs <paramref name="body"/>'s parts 0..<paramref name="parts"/>-1, part 0 on the calling
    /// thread and the others on the pool's workers; false (nothing run) when the pool is busy or
    /// the caller is itself running a part. Products inside a part run on that part's thread.
    /// </summary>
    public static bool TryRunParts(IParallelParts body, int parts)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (parts < 2 || t_inPart || !Monitor.TryEnter(Gate)) return false;
        s_busy = true;
        try
        {
            EnsureWorkers(parts - 1);
            s_body = body;
            s_bodyParts = parts;
            s_error = null;
            Volatile.Write(ref s_pending, parts - 1);
            for (int i = 0; i < parts - 1; i++) s_workers[i].Start();
            try
            {
                t_inPart = true;
                body.RunPart(0, parts);
            }
            finally
            {
                t_inPart = false;
                var spin = new SpinWait();
                while (Volatile.Read(ref s_pending) != 0) spin.SpinOnce(sleep1Threshold: -1);
                s_body = null;
            }
            s_error?.Throw();
            return true;
        }
        finally
        {
            s_busy = false;
            Monitor.Exit(Gate);
        }
    }

    private static void EnsureWorkers(int helpers)
    {
        if (s_workers.Length >= helpers) return;
        int had = s_workers.Length;
        Array.Resize(ref s_workers, helpers);
        for (int i = had; i < helpers; i++) s_workers[i] = new Worker(i + 1);
    }

    /// <summary>Runs parts 0..<c>args.Parts</c>-1 of the product; false when the pool is busy.</summary>
    public static bool TryRun(in GemmArgs args)
    {
        if (t_inPart || !Monitor.TryEnter(Gate)) return false;
        s_busy = true;
        try
        {
            Interlocked.Increment(ref s_runs);
            Volatile.Write(ref s_lastParts, args.Parts);
            int helpers = args.Parts - 1;
            EnsureWorkers(helpers);
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
            s_busy = false;
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
                    t_inPart = true;
                    if (s_body is { } body)
                    {
                        if (_part < s_bodyParts) body.RunPart(_part, s_bodyParts);
                    }
                    else
                    {
                        GemmPacked.Execute(in s_args, _part);
                    }
                }
                catch (Exception e)
                {
                    s_error = ExceptionDispatchInfo.Capture(e);
                }
                finally
                {
                    t_inPart = false;
                    Interlocked.Decrement(ref s_pending);
                }
            }
        }
    }
}

/// <summary>
/// Work a kernel splits into parts for <see cref="GemmPool.TryRunParts"/> (or runs one after another
/// with <see cref="ParallelParts.Run"/> when the pool is busy): part <c>p</c> of <c>n</c> must touch
/// only its own outputs and scratch. The kernel itself implements it, so a split allocates nothing.
/// </summary>
internal interface IParallelParts
{
    /// <summary>Runs part <paramref name="part"/> of <paramref name="parts"/>.</summary>
    void RunPart(int part, int parts);
}

/// <summary>Splitting a kernel's work across the GEMM pool's threads.</summary>
internal static class ParallelParts
{
    /// <summary>
    /// How many parts work of <paramref name="work"/> units (multiply-adds, elements moved) is worth
    /// splitting into: 1 below <paramref name="minPerPart"/> per part, else up to
    /// <see cref="Gemm.ThreadsForCall"/> and <paramref name="maxParts"/>.
    /// </summary>
    public static int For(long work, long minPerPart, int maxParts = int.MaxValue) =>
        (int)Math.Clamp(work / Math.Max(1, minPerPart), 1, Math.Min(Gemm.ThreadsForCall, maxParts));

    /// <summary>Runs all <paramref name="parts"/> of <paramref name="body"/>: on the pool when it is free, else one after another here.</summary>
    public static void Run(IParallelParts body, int parts)
    {
        if (parts > 1 && GemmPool.TryRunParts(body, parts)) return;
        for (int p = 0; p < parts; p++) body.RunPart(p, parts);
    }

    /// <summary>The range [start, end) of part <paramref name="part"/> of <paramref name="count"/> items split into <paramref name="parts"/> nearly equal runs.</summary>
    public static (int Start, int End) Range(int count, int part, int parts)
    {
        long start = (long)count * part / parts, end = (long)count * (part + 1) / parts;
        return ((int)start, (int)end);
    }
}
