using System.Runtime.ExceptionServices;

namespace TensorGraph.Runtime;

/// <summary>
/// Running a straight plan with several nodes at once (TF's inter-op thread pool): the calling
/// thread and up to <c>inter_op_parallelism_threads - 1</c> helpers from the .NET thread pool take
/// ready nodes (all of their <see cref="InterOpSchedule"/> predecessors done) from one ready stack,
/// lowest plan index first. A helper is called in only while more nodes are ready than threads are
/// running them, lingers briefly when it runs out, then returns to the pool; the calling thread
/// waits when nothing is ready. The first failing node stops the run: nothing new starts, the
/// nodes in flight finish, and the caller throws that node's error. Each thread has its own
/// <see cref="OpContext"/>; all state is kept in the execution state, so a steady-state run allocates
/// nothing.
/// </summary>
internal sealed partial class ExecState
{
    private int _interOpThreads;
    private InterOpRun? _interOp;

    private void ExecuteInterOp(InterOpSchedule schedule)
    {
        _interOp ??= new InterOpRun(this, schedule, _interOpThreads);
        _interOp.Run();
    }

    /// <summary>The dynamic state of concurrent runs of one execution state's plan.</summary>
    private sealed class InterOpRun
    {
        // How long a helper without work spins for the next ready node before it returns to the pool.
        private static readonly long LingerTicks = System.Diagnostics.Stopwatch.Frequency / 20_000;

        private readonly ExecState _state;
        private readonly InterOpSchedule _schedule;
        private readonly object _gate = new();
        private readonly int[] _pending;
        private readonly int[] _ready;
        private readonly OpContext[] _contexts;
        private readonly Helper[] _helpers;
        private readonly bool[] _helperBusy;
        private readonly int _cores;
        private int _readyCount;
        private int _done;
        private int _running;
        private int _activeHelpers;
        private bool _stop;
        private bool _callerWaiting;
        private ExceptionDispatchInfo? _error;

        public InterOpRun(ExecState state, InterOpSchedule schedule, int threads)
        {
            _state = state;
            _schedule = schedule;
            int n = schedule.InitialPending.Length;
            _pending = new int[n];
            _ready = new int[n];
            int helpers = Math.Min(threads, schedule.Width) - 1;
            _contexts = new OpContext[helpers + 1];
            for (int i = 0; i < _contexts.Length; i++) _contexts[i] = i == 0 ? state._ctx : new OpContext { State = state };
            _helpers = new Helper[helpers];
            for (int i = 0; i < helpers; i++) _helpers[i] = new Helper(this, i + 1);
            _helperBusy = new bool[helpers];
            int intra = state.Plan.Session.IntraOpParallelismThreads;
            _cores = intra > 0 ? Math.Min(intra, Kernels.Gemm.MaxThreads) : Kernels.Gemm.MaxThreads;
        }

        /// <summary>Runs every node of the plan; throws the first node error.</summary>
        public void Run()
        {
            lock (_gate)
            {
                Array.Copy(_schedule.InitialPending, _pending, _pending.Length);
                _readyCount = 0;
                _done = 0;
                _stop = false;
                _error = null;
                // Pushed highest index first, so the stack hands out plan order.
                for (int m = _pending.Length - 1; m >= 0; m--) if (_pending[m] == 0) _ready[_readyCount++] = m;
            }
            Work(0);
            lock (_gate)
            {
                // A stopped run returns only once no node of it is running any more.
                while (_running > 0)
                {
                    _callerWaiting = true;
                    Monitor.Wait(_gate);
                }
                _callerWaiting = false;
            }
            _error?.Throw();
        }

        /// <summary>The loop of thread <paramref name="slot"/> (0: the caller): take a ready node, run it, mark it done.</summary>
        private void Work(int slot)
        {
            var ctx = _contexts[slot];
            int m = -1, threads = _cores;
            long lingerUntil = 0;
            while (true)
            {
                bool linger = false;
                lock (_gate)
                {
                    if (m >= 0) Complete(m);
                    m = -1;
                    if (_stop || _done == _pending.Length)
                    {
                        if (slot > 0) LeaveLocked(slot);
                        return;
                    }
                    // A helper leaves the cores to a split product or kernel while one runs.
                    if (_readyCount > 0 && (slot == 0 || !Kernels.GemmPool.Busy))
                    {
                        m = _ready[--_readyCount];
                        _running++;
                        // Nodes running at once share the cores: one that starts beside others splits less.
                        threads = Math.Max(1, _cores / _running);
                        if (_readyCount > 0) CallHelperLocked();
                        lingerUntil = 0;
                    }
                    else
                    {
                        if (slot == 0 && _running == 0) throw new InternalException("The inter-op schedule left nodes that can never run");
                        // A ready node this helper leaves alone goes to a waiting caller.
                        if (slot > 0 && _readyCount > 0 && _callerWaiting) Monitor.PulseAll(_gate);
                        if (slot == 0)
                        {
                            // The caller blocks (spinning here would take a core from the running nodes).
                            _callerWaiting = true;
                            Monitor.Wait(_gate);
                            _callerWaiting = false;
                            continue;
                        }
                        // Nodes often become ready a few microseconds apart: a helper spins briefly
                        // before it leaves, rather than coming back through the thread pool.
                        long now = System.Diagnostics.Stopwatch.GetTimestamp();
                        if (lingerUntil == 0) lingerUntil = now + LingerTicks;
                        // While a split product runs, its workers need every core: no spinning then.
                        if (now < lingerUntil && !Kernels.GemmPool.Busy) linger = true;
                        else
                        {
                            LeaveLocked(slot);
                            return;
                        }
                    }
                }
                if (linger)
                {
                    // Spins outside the lock until something changes that this thread could act on.
                    int seen = Volatile.Read(ref _done);
                    for (int i = 0; i < 64 && Volatile.Read(ref _done) == seen && !Volatile.Read(ref _stop); i++) Thread.SpinWait(8);
                    continue;
                }
                try
                {
                    _state.CheckStop();
                    Kernels.Gemm.RunThreadLimit = threads;
                    _state.RunPlanned(m, ctx);
                }
                catch (Exception e)
                {
                    lock (_gate)
                    {
                        _error ??= ExceptionDispatchInfo.Capture(e);
                        _stop = true;
                        _running--;
                        if (_callerWaiting) Monitor.PulseAll(_gate);
                    }
                    m = -1;
                }
            }
        }

        /// <summary>Node <paramref name="m"/> is done: its successors whose last predecessor it was become ready.</summary>
        private void Complete(int m)
        {
            _running--;
            _done++;
            foreach (var s in _schedule.Successors[m])
            {
                if (--_pending[s] != 0) continue;
                // Kept sorted (highest index at the bottom), so the lowest ready index runs first.
                int at = _readyCount;
                while (at > 0 && _ready[at - 1] < s)
                {
                    _ready[at] = _ready[at - 1];
                    at--;
                }
                _ready[at] = s;
                _readyCount++;
            }
            // The thread that completed m takes one ready node itself; the caller is woken for a second.
            if (_callerWaiting && (_readyCount > 1 || _done == _pending.Length || (_stop && _running == 0))) Monitor.PulseAll(_gate);
        }

        /// <summary>Calls an idle helper in while more nodes are ready than are being taken.</summary>
        private void CallHelperLocked()
        {
            if (_activeHelpers >= _helpers.Length || _activeHelpers >= _readyCount) return;
            for (int i = 0; i < _helpers.Length; i++)
            {
                if (_helperBusy[i]) continue;
                _helperBusy[i] = true;
                _activeHelpers++;
                ThreadPool.UnsafeQueueUserWorkItem(_helpers[i], preferLocal: false);
                return;
            }
        }

        private void LeaveLocked(int slot)
        {
            _helperBusy[slot - 1] = false;
            _activeHelpers--;
            if (_callerWaiting) Monitor.PulseAll(_gate);
        }

        /// <summary>One helper thread's turn: runs ready nodes under the session's intra-op limit.</summary>
        private sealed class Helper(InterOpRun run, int slot) : IThreadPoolWorkItem
        {
            public void Execute()
            {
                int outer = Kernels.Gemm.RunThreadLimit;
                Kernels.Gemm.RunThreadLimit = run._state.Plan.Session.IntraOpParallelismThreads;
                try
                {
                    run.Work(slot);
                }
                finally
                {
                    Kernels.Gemm.RunThreadLimit = outer;
                }
            }
        }
    }
}
