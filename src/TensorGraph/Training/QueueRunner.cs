using TensorGraph.Proto;

namespace TensorGraph.Training;

/// <summary>
/// TF's <c>tf.train.QueueRunner</c>: the enqueue ops that fill a queue and the ops that close it.
/// <see cref="CreateThreads"/> starts one background thread per enqueue op, each running its op
/// again and again until its input is used up (one of the queue-closed exception types, by default
/// OutOfRange, e.g. an input producer's epochs are used up), a coordinator asks it to stop (an
/// enqueue then cancelled by the cancel op ends quietly), or the session is closed. When the last
/// thread of a session ends that way the close op runs, so consumers drain what is left and then
/// get OutOfRange. Any other error requests a stop of the coordinator with that error (so
/// <see cref="Coordinator.Join"/> rethrows it), or, without a coordinator, is kept in
/// <see cref="Exceptions"/>. With a coordinator one more thread waits for the stop request and
/// then runs the cancel op (close with cancel_pending_enqueues), which wakes enqueues blocked on a
/// full queue, so every thread ends.
/// </summary>
public sealed class QueueRunner
{
    private readonly Lock _lock = new();
    private readonly Dictionary<Session, int> _runsPerSession = [];
    private readonly List<Exception> _exceptions = [];
    private readonly Type[] _closedTypes;

    /// <summary>
    /// TF's <c>QueueRunner(queue, enqueue_ops, close_op, cancel_op, queue_closed_exception_types)</c>;
    /// the exception types default to TF's <c>(OutOfRangeError,)</c>. The close and cancel ops default to <c>queue.close()</c> and
    /// <c>queue.close(cancel_pending_enqueues=True)</c>, built here as TF builds them
    /// (<c>&lt;queue&gt;_Close</c>, <c>&lt;queue&gt;_Close_1</c>).
    /// </summary>
    public QueueRunner(Queue queue, IReadOnlyList<Operation> enqueueOps, Operation? closeOp = null, Operation? cancelOp = null,
        params Type[]? queueClosedExceptionTypes)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(enqueueOps);
        if (enqueueOps.Count == 0) throw new ArgumentException("A QueueRunner needs at least one enqueue op", nameof(enqueueOps));
        Queue = queue;
        EnqueueOps = [.. enqueueOps];
        CloseOp = closeOp ?? queue.Close();
        CancelOp = cancelOp ?? queue.Close(cancelPendingEnqueues: true);
        _closedTypes = queueClosedExceptionTypes is { Length: > 0 } t ? t : [typeof(OutOfRangeException)];
    }

    /// <summary>The queue the runner fills.</summary>
    public Queue Queue { get; }

    /// <summary>The queue's node name (TF's <c>QueueRunner.name</c>).</summary>
    public string Name => Queue.Op.Name;

    /// <summary>The enqueue ops, one thread each.</summary>
    public IReadOnlyList<Operation> EnqueueOps { get; }

    /// <summary>Run when the last enqueue thread of a session sees the queue closed.</summary>
    public Operation CloseOp { get; }

    /// <summary>Run when the coordinator is asked to stop.</summary>
    public Operation CancelOp { get; }

    /// <summary>Exceptions the threads raised without a coordinator to report them to (TF's <c>exceptions_raised</c>).</summary>
    public IReadOnlyList<Exception> Exceptions
    {
        get
        {
            lock (_lock) return [.. _exceptions];
        }
    }

    /// <summary>
    /// TF's <c>create_threads(sess, coord, daemon, start)</c>: the threads that run the enqueue ops
    /// in <paramref name="session"/> (and, with <paramref name="coordinator"/>, the close-on-stop
    /// thread), registered with the coordinator. Returns none when threads for this session are
    /// still running. Threads are background threads named
    /// <c>QueueRunnerThread-&lt;queue&gt;-&lt;op&gt;</c>.
    /// </summary>
    public IReadOnlyList<Thread> CreateThreads(Session session, Coordinator? coordinator = null, bool daemon = true, bool start = false)
    {
        ArgumentNullException.ThrowIfNull(session);
        lock (_lock)
        {
            if (_runsPerSession.TryGetValue(session, out int runs) && runs > 0) return [];
            _runsPerSession[session] = EnqueueOps.Count;
            _exceptions.Clear();
        }
        var threads = new List<Thread>();
        foreach (var op in EnqueueOps)
            threads.Add(new Thread(() => Run(session, op, coordinator)) { Name = $"QueueRunnerThread-{Name}-{op.Name}", IsBackground = daemon });
        if (coordinator is not null)
            threads.Add(new Thread(() => CloseOnStop(session, coordinator)) { Name = $"QueueRunnerThread-{Name}-close_on_stop", IsBackground = daemon });
        foreach (var t in threads)
        {
            coordinator?.RegisterThread(t);
            if (start) t.Start();
        }
        return threads;
    }

    private bool IsQueueClosed(Exception e) => _closedTypes.Any(t => t.IsInstanceOfType(e));

    private void Run(Session session, Operation enqueueOp, Coordinator? coordinator)
    {
        bool decremented = false;
        try
        {
            while (coordinator is null || !coordinator.ShouldStop)
            {
                try
                {
                    session.Run(enqueueOp);
                }
                catch (Exception e) when (IsQueueClosed(e))
                {
                    // The input is used up: this thread is done; the last one closes the queue.
                    lock (_lock)
                    {
                        decremented = true;
                        if (--_runsPerSession[session] == 0) TryRun(session, CloseOp);
                    }
                    return;
                }
                catch (Exception e) when (e is ObjectDisposedException || (e is CancelledException && (session.IsClosed || coordinator?.ShouldStop == true)))
                {
                    // The session was closed, or the stop's cancel op cancelled this enqueue (TF's
                    // request_stop ignores that error once a stop was requested): a quiet end.
                    return;
                }
            }
        }
#pragma warning disable CA1031 // a thread's failure is reported to the coordinator (or kept), as TF's QueueRunner does
        catch (Exception e)
#pragma warning restore CA1031
        {
            Report(e, coordinator);
        }
        finally
        {
            if (!decremented)
            {
                lock (_lock) _runsPerSession[session]--;
            }
        }
    }

    /// <summary>
    /// Hands a thread's error to the coordinator, or keeps it. Never throws: an exception escaping a
    /// thread would end the process (a coordinator already joined rethrows, so the error is kept).
    /// </summary>
    private void Report(Exception e, Coordinator? coordinator)
    {
        if (coordinator is not null)
        {
            try
            {
                coordinator.RequestStop(e);
                return;
            }
#pragma warning disable CA1031 // see above: keep it instead
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
        lock (_lock) _exceptions.Add(e);
    }

    private void CloseOnStop(Session session, Coordinator coordinator)
    {
        try
        {
            coordinator.WaitForStop();
            TryRun(session, CancelOp);
        }
#pragma warning disable CA1031 // a thread must not end the process
        catch (Exception e)
#pragma warning restore CA1031
        {
            lock (_lock) _exceptions.Add(e);
        }
    }

    /// <summary>Runs a close op, ignoring its errors (a closed queue or session), as TF does.</summary>
    private static void TryRun(Session session, Operation op)
    {
        try
        {
            session.Run(op);
        }
        catch (Exception e) when (e is TensorGraphException or ObjectDisposedException)
        {
            // Intentionally ignored, as TF's QueueRunner ignores errors of its close ops.
        }
    }

    /// <summary>The exception types that mean the queue was closed (TF's <c>queue_closed_exception_types</c>).</summary>
    public IReadOnlyList<Type> QueueClosedExceptionTypes => _closedTypes;

    /// <summary>TF's <c>QueueRunner.to_proto()</c>: a <c>QueueRunnerDef</c> naming the queue and ops.</summary>
    public QueueRunnerDef ToProto()
    {
        var def = new QueueRunnerDef { QueueName = Queue.Op.Name, CloseOpName = CloseOp.Name, CancelOpName = CancelOp.Name };
        def.EnqueueOpName.AddRange(EnqueueOps.Select(o => o.Name));
        foreach (var t in _closedTypes.Where(t => t != typeof(TensorGraphException)))
        {
            // Each TensorGraph exception type stands for one TF error code.
            foreach (var code in Enum.GetValues<ErrorCode>())
            {
                if (Errors.Make(code, "").GetType() == t)
                {
                    def.QueueClosedExceptionTypes.Add((Code)(int)code);
                    break;
                }
            }
        }
        return def;
    }

    /// <summary>
    /// TF's <c>QueueRunner.from_proto</c>: the runner a MetaGraph's <c>queue_runners</c> collection
    /// describes, over the nodes of <paramref name="graph"/> (names under <paramref name="prefix"/>).
    /// Null when a node is missing or the queue node is not a queue.
    /// </summary>
    public static QueueRunner? FromProto(Graph graph, QueueRunnerDef def, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(def);
        string Name(string n) => prefix.Length == 0 ? n : prefix.TrimEnd('/') + "/" + n;
        if (graph.TryGetOperation(Name(def.QueueName)) is not { } queueOp || graph.QueueOf(queueOp) is not { } queue) return null;
        var enqueues = new List<Operation>();
        foreach (var n in def.EnqueueOpName)
        {
            if (graph.TryGetOperation(Name(n)) is not { } op) return null;
            enqueues.Add(op);
        }
        if (enqueues.Count == 0) return null;
        var close = graph.TryGetOperation(Name(def.CloseOpName));
        var cancel = graph.TryGetOperation(Name(def.CancelOpName));
        if (close is null || cancel is null) return null;
        // Codes without an exception type of their own (Aborted, Unknown, …) cannot be told apart here and are left out.
        var types = def.QueueClosedExceptionTypes.Select(c => Errors.Make((ErrorCode)(int)c, "").GetType())
            .Where(t => t != typeof(TensorGraphException)).Distinct().ToArray();
        return new QueueRunner(queue, enqueues, close, cancel, types.Length > 0 ? types : [typeof(OutOfRangeException)]);
    }

    /// <summary>
    /// TF's <c>tf.train.start_queue_runners(sess, coord, daemon, start, collection)</c>: creates
    /// (and starts) the threads of every <see cref="QueueRunner"/> in the graph's
    /// <paramref name="collection"/>, registered with <paramref name="coordinator"/>.
    /// </summary>
    public static IReadOnlyList<Thread> StartQueueRunners(Session session, Coordinator? coordinator = null, bool daemon = true, bool start = true,
        string collection = GraphKeys.QueueRunners)
    {
        ArgumentNullException.ThrowIfNull(session);
        var threads = new List<Thread>();
        foreach (var qr in session.Graph.GetCollection<QueueRunner>(collection))
            threads.AddRange(qr.CreateThreads(session, coordinator, daemon, start));
        return threads;
    }
}

/// <summary>Registers queue runners in a graph (TF's <c>tf.train.add_queue_runner</c>).</summary>
public static class QueueRunners
{
    /// <summary>Adds <paramref name="runner"/> to <paramref name="collection"/> of its queue's graph.</summary>
    public static void Add(QueueRunner runner, string collection = GraphKeys.QueueRunners)
    {
        ArgumentNullException.ThrowIfNull(runner);
        runner.Queue.Graph.AddToCollection(collection, runner);
    }
}
