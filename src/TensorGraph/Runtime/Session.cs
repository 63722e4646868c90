using System.Collections.Concurrent;
using System.Text;
using TensorGraph.Remote;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// Runs a <see cref="Graph"/> (TF's <c>tf.Session</c>): owns variable values and compiled plans,
/// one per (feeds, fetches, targets) signature. <c>Run</c> may be called from many threads at once;
/// each call can be bounded by a timeout (<see cref="RunOptions"/>, <see cref="OperationTimeoutInMs"/>)
/// or stopped by a <see cref="CancellationToken"/>. Once disposed, it refuses every call with
/// <see cref="ObjectDisposedException"/>.
/// </summary>
public sealed class Session : IDisposable
{
    private readonly ConcurrentDictionary<string, ExecutionPlan> _plans = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Operation, object> _opState = new();
    private readonly Lock _planLock = new();
    private volatile bool _closed;
    private readonly RemoteSession? _remote;
    private readonly VariableStore _variables = new();
    private readonly SessionResources _resources = new();

    /// <summary>Creates a session over <paramref name="graph"/>.</summary>
    public Session(Graph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        Graph = graph;
    }

    /// <summary>
    /// Creates a session over <paramref name="graph"/> with TF's <c>ConfigProto</c> settings
    /// (see <see cref="SessionOptions"/> for what each affects); a negative thread count is an
    /// <see cref="InvalidArgumentException"/>.
    /// </summary>
    public Session(Graph graph, SessionOptions options) : this(graph)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        IntraOpParallelismThreads = options.IntraOpParallelismThreads;
        InterOpParallelismThreads = options.InterOpParallelismThreads;
        OperationTimeoutInMs = options.OperationTimeoutInMs;
        AllowSoftPlacement = options.AllowSoftPlacement;
        if (options.LogDevicePlacement)
        {
            DevicePlacementLog = options.DevicePlacementLog ?? Console.Error;
            // TF's DirectSession prints its device mapping; the CPU device has no physical description.
            lock (DevicePlacementLog) DevicePlacementLog.Write("Device mapping: no known devices.\n");
        }
    }

    /// <summary>Creates a session over <paramref name="graph"/> configured by a TF <c>ConfigProto</c> (<see cref="SessionOptions.FromConfigProto"/>).</summary>
    public Session(Graph graph, Proto.ConfigProto config) : this(graph, SessionOptions.FromConfigProto(config))
    {
    }

    /// <summary>
    /// Creates a session over <paramref name="graph"/> that runs where <paramref name="target"/>
    /// says (TF's <c>tf.Session(target)</c>): <c>""</c> in this process, <c>grpc://host:port</c> on a
    /// TF1 master such as <c>tensorgraph server</c>. A remote session sends the graph with its first
    /// run and the nodes added since with later ones; variables live on the server. Its <c>Run</c>
    /// overloads work as locally; callables and savers need a local session.
    /// </summary>
    public Session(Graph graph, string target, RemoteOptions? remote = null) : this(graph)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.Length == 0) return;
        if (!RemoteSession.IsRemoteTarget(target))
            throw new InvalidArgumentException($"Session target '{target}' is not supported: use \"\" for this process or grpc://host:port for a server");
        _remote = new RemoteSession(graph, target, remote);
    }

    /// <summary>The graph this session runs.</summary>
    public Graph Graph { get; }

    /// <summary>The target given at creation: <c>""</c> for a session in this process, else <c>grpc://host:port</c>.</summary>
    public string Target => _remote?.Target ?? "";

    internal VariableStore Variables => _remote is null ? _variables
        : throw new NotSupportedException($"The variables of a session with target {_remote.Target} live on its server: read them with Run, and save them with a saver's ops run remotely rather than with a local session's Saver");

    internal bool IsClosed => _closed;

    /// <summary>Resources that live as long as the session (queues), keyed by their ops.</summary>
    internal SessionResources Resources => _resources;

    /// <summary>
    /// Whether plans run their fusion passes, which put one kernel in place of chains such as
    /// MatMul → BiasAdd (→ Relu) (default true). The graph and its GraphDef keep
    /// TF's ops either way; set before the first run.
    /// </summary>
    public bool EnableFusion { get; set; } = true;

    /// <summary>The most threads one kernel of this session may use (TF's <c>intra_op_parallelism_threads</c>); 0 = one per core. See <see cref="SessionOptions"/>.</summary>
    public int IntraOpParallelismThreads { get; }

    /// <summary>TF's <c>inter_op_parallelism_threads</c> as given (0 = the default); see <see cref="SessionOptions"/>.</summary>
    public int InterOpParallelismThreads { get; }

    /// <summary>Called with a node's name just before it runs in a plan without while loops, on the thread that runs it (tests use it to hold nodes).</summary>
    internal Action<string>? NodeStarting { get; set; }

    /// <summary>How many nodes of one run may run at once: <see cref="InterOpParallelismThreads"/>, or 1 for 0 (see <see cref="SessionOptions.InterOpParallelismThreads"/>).</summary>
    internal int InterOpThreads => InterOpParallelismThreads > 0 ? InterOpParallelismThreads : 1;

    /// <summary>
    /// Whether a node explicitly assigned to a device this process lacks runs on the CPU instead of
    /// failing its run (TF's <c>allow_soft_placement</c>; see <see cref="SessionOptions.AllowSoftPlacement"/>).
    /// </summary>
    public bool AllowSoftPlacement { get; }

    /// <summary>Where plans log their device placement (<see cref="SessionOptions.LogDevicePlacement"/>); null when they do not.</summary>
    internal TextWriter? DevicePlacementLog { get; }

    /// <summary>
    /// Number of compiled plans in this process's cache (one per distinct run signature); always 0
    /// for a remote session, whose plans are compiled and cached by the server.
    /// </summary>
    public int CachedPlanCount => _plans.Count;

    /// <summary>
    /// The default timeout of every run of this session in milliseconds (TF's
    /// <c>ConfigProto.operation_timeout_in_ms</c>), used when a call's <see cref="RunOptions"/>
    /// sets none; 0 or less (the default) means no timeout.
    /// </summary>
    public long OperationTimeoutInMs
    {
        get;
        set
        {
            field = value;
            if (_remote is not null) _remote.OperationTimeoutInMs = value;
        }
    }

    // ------------------------------------------------------------------ Run overloads
    //
    // Every overload takes optional RunOptions (a timeout) and a CancellationToken. Both are
    // checked before each node: a run past its deadline fails with DeadlineExceededException, a
    // cancelled one (or one whose session is disposed while it runs) with CancelledException.

    /// <summary>Evaluates one tensor.</summary>
    public Tensor Run(Output fetch, FeedDict? feeds = null, RunOptions? options = null, CancellationToken cancellationToken = default) =>
        RunCore([fetch], feeds, [], options, cancellationToken)[0];

    /// <summary>Evaluates two tensors in one step.</summary>
    public (Tensor, Tensor) Run(Output a, Output b, FeedDict? feeds = null, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        var r = RunCore([a, b], feeds, [], options, cancellationToken);
        return (r[0], r[1]);
    }

    /// <summary>Evaluates three tensors in one step.</summary>
    public (Tensor, Tensor, Tensor) Run(Output a, Output b, Output c, FeedDict? feeds = null, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        var r = RunCore([a, b, c], feeds, [], options, cancellationToken);
        return (r[0], r[1], r[2]);
    }

    /// <summary>Evaluates <paramref name="fetches"/> after also running <paramref name="targets"/>.</summary>
    public Tensor[] Run(Output[] fetches, FeedDict? feeds = null, params Operation[] targets)
    {
        ArgumentNullException.ThrowIfNull(fetches);
        return RunCore(fetches, feeds, targets ?? [], null, default);
    }

    /// <summary>Evaluates <paramref name="fetches"/> after also running <paramref name="targets"/>, with a timeout or a token.</summary>
    public Tensor[] Run(Output[] fetches, FeedDict? feeds, Operation[] targets, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fetches);
        return RunCore(fetches, feeds, targets ?? [], options, cancellationToken);
    }

    /// <summary>Runs an operation for its effect; returns null like TF's <c>sess.run(op)</c>.</summary>
    public Tensor? Run(Operation target, FeedDict? feeds = null, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        RunCore([], feeds, [target], options, cancellationToken);
        return null;
    }

    /// <summary>Runs operations for their effect.</summary>
    public void Run(Operation[] targets, FeedDict? feeds = null, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(targets);
        RunCore([], feeds, targets, options, cancellationToken);
    }

    // ------------------------------------------------------------------ traced runs
    //
    // TF's sess.run(..., options=, run_metadata=): a run whose RunOptions.TraceLevel is not
    // NoTrace fills runMetadata.StepStats; any other run leaves it empty.

    /// <summary>Evaluates one tensor and reports what the run did in <paramref name="runMetadata"/> (see <see cref="RunOptions.TraceLevel"/>).</summary>
    public Tensor Run(Output fetch, FeedDict? feeds, RunOptions? options, Proto.RunMetadata? runMetadata, CancellationToken cancellationToken = default) =>
        RunCore([fetch], feeds, [], options, cancellationToken, runMetadata)[0];

    /// <summary>Evaluates <paramref name="fetches"/> after also running <paramref name="targets"/>, and reports what the run did in <paramref name="runMetadata"/>.</summary>
    public Tensor[] Run(Output[] fetches, FeedDict? feeds, Operation[] targets, RunOptions? options, Proto.RunMetadata? runMetadata, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fetches);
        return RunCore(fetches, feeds, targets ?? [], options, cancellationToken, runMetadata);
    }

    /// <summary>Runs operations for their effect, and reports what the run did in <paramref name="runMetadata"/>.</summary>
    public void Run(Operation[] targets, FeedDict? feeds, RunOptions? options, Proto.RunMetadata? runMetadata, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(targets);
        RunCore([], feeds, targets, options, cancellationToken, runMetadata);
    }

    /// <summary>Fetches any mix of tensors, operations and names, and reports what the run did in <paramref name="runMetadata"/>.</summary>
    public Tensor?[] Run(Fetch[] fetches, FeedDict? feeds, RunOptions? options, Proto.RunMetadata? runMetadata, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fetches);
        return RunFetches(fetches, feeds, options, cancellationToken, runMetadata);
    }

    /// <summary>Fetches one item (tensor, operation or name); an operation yields null.</summary>
    public Tensor? Run(Fetch fetch, FeedDict? feeds = null, RunOptions? options = null, CancellationToken cancellationToken = default) =>
        RunFetches([fetch], feeds, options, cancellationToken)[0];

    /// <summary>Fetches two items in one step; operations yield null.</summary>
    public (Tensor?, Tensor?) Run(Fetch a, Fetch b, FeedDict? feeds = null, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        var r = RunFetches([a, b], feeds, options, cancellationToken);
        return (r[0], r[1]);
    }

    /// <summary>Fetches three items in one step; operations yield null.</summary>
    public (Tensor?, Tensor?, Tensor?) Run(Fetch a, Fetch b, Fetch c, FeedDict? feeds = null, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        var r = RunFetches([a, b, c], feeds, options, cancellationToken);
        return (r[0], r[1], r[2]);
    }

    /// <summary>Fetches any mix of tensors, operations and names; operations yield null.</summary>
    public Tensor?[] Run(Fetch[] fetches, FeedDict? feeds = null, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fetches);
        return RunFetches(fetches, feeds, options, cancellationToken);
    }

    private Tensor?[] RunFetches(Fetch[] fetches, FeedDict? feeds, RunOptions? options, CancellationToken cancellationToken, Proto.RunMetadata? runMetadata = null)
    {
        ThrowIfDisposed();
        var tensors = new List<Output>();
        var targets = new List<Operation>();
        var slot = new int[fetches.Length];
        for (int i = 0; i < fetches.Length; i++)
        {
            var f = fetches[i];
            Output? t = f.Tensor;
            Operation? op = f.Op;
            if (f.Name is { } name)
            {
                if (name.Contains(':', StringComparison.Ordinal)) t = Graph.GetTensor(name);
                else op = Graph.GetOperation(name);
            }
            if (t is { } tt)
            {
                CheckGraph(tt.Op);
                slot[i] = tensors.Count;
                tensors.Add(tt);
            }
            else if (op is not null)
            {
                CheckGraph(op);
                slot[i] = -1;
                targets.Add(op);
            }
            else throw new InvalidArgumentException("Fetch argument is empty");
        }
        var r = RunCore([.. tensors], feeds, [.. targets], options, cancellationToken, runMetadata);
        var result = new Tensor?[fetches.Length];
        for (int i = 0; i < fetches.Length; i++) result[i] = slot[i] >= 0 ? r[slot[i]] : null;
        return result;
    }

    internal void CheckGraph(Operation op)
    {
        if (!ReferenceEquals(op.Graph, Graph))
            throw new InvalidArgumentException($"Operation '{op.Name}' is not an element of this session's graph");
    }

    private Tensor[] RunCore(Output[] fetches, FeedDict? feedDict, Operation[] targets, RunOptions? options, CancellationToken cancellationToken,
        Proto.RunMetadata? runMetadata = null)
    {
        ThrowIfDisposed();
        if (cancellationToken.IsCancellationRequested) throw ExecState.CancelledError();
        foreach (var f in fetches)
        {
            if (f.Op is null) throw new InvalidArgumentException("Fetch argument is a default (unset) Output");
            CheckGraph(f.Op);
        }
        foreach (var t in targets) CheckGraph(t ?? throw new InvalidArgumentException("A target is null"));
        var (feedKeys, feedValues) = CollectFeeds(feedDict);
        if (runMetadata is not null) runMetadata.StepStats = null;
        if (_remote is not null) return _remote.Run(fetches, feedKeys, feedValues, targets, TimeoutFor(options), cancellationToken);
        var plan = GetPlan(feedKeys, fetches, targets);
        var state = plan.Rent();
        try
        {
            var trace = TraceFor(options, runMetadata);
            state.Execute(feedValues, TimeoutFor(options), trace, cancellationToken);
            if (trace is not null) runMetadata!.StepStats = trace.Finish();
            var results = new Tensor[fetches.Length];
            for (int i = 0; i < results.Length; i++)
            {
                var t = state.Results[i];
                int b = plan.ValueBuffer[plan.FetchIds[i]];
                if (b >= 0 && ReferenceEquals(state.Buffers[b], t))
                {
                    // Hand the planned buffer to the caller and give the plan a fresh one.
                    state.Buffers[b] = Tensor.Empty(plan.BufferTypes[b]);
                    results[i] = t;
                }
                else
                {
                    int prev = Array.FindIndex(results, 0, i, r => ReferenceEquals(r, t));
                    results[i] = prev >= 0 ? t : t.Clone();
                }
            }
            Array.Clear(state.Results);
            return results;
        }
        finally
        {
            plan.Return(state);
        }
    }

    /// <summary>The timeout of one run: the call's own, else the session's default; 0 for none.</summary>
    internal long TimeoutFor(RunOptions? options) =>
        options is { TimeoutInMs: > 0 } o ? o.TimeoutInMs : Math.Max(OperationTimeoutInMs, 0);

    /// <summary>A collector when the call asks for a trace and gives somewhere to put it; else null (no tracing).</summary>
    internal static StepStatsCollector? TraceFor(RunOptions? options, Proto.RunMetadata? runMetadata) =>
        runMetadata is not null && options is { TraceLevel: > TraceLevel.NoTrace } ? new StepStatsCollector() : null;

    /// <summary>Throws <see cref="ObjectDisposedException"/> once the session is disposed.</summary>
    internal void ThrowIfDisposed()
    {
        if (_closed) throw new ObjectDisposedException(nameof(Session), "Attempted to use a closed Session.");
    }

    internal (Output[] Keys, Tensor[] Values) CollectFeeds(FeedDict? feedDict)
    {
        if (feedDict is null || feedDict.Count == 0) return ([], []);
        var pairs = new List<(Output, Tensor)>();
        foreach (var (k, v) in feedDict.ByTensor) pairs.Add((k, v));
        foreach (var (k, v) in feedDict.ByName) pairs.Add((Graph.GetTensor(k), v));
        pairs.Sort((a, b) => a.Item1.Op.Id != b.Item1.Op.Id ? a.Item1.Op.Id.CompareTo(b.Item1.Op.Id) : a.Item1.Index.CompareTo(b.Item1.Index));
        var keys = new Output[pairs.Count];
        var values = new Tensor[pairs.Count];
        for (int i = 0; i < pairs.Count; i++)
        {
            var (k, v) = pairs[i];
            if (k.Op is null) throw new InvalidArgumentException("A feed key is a default (unset) Output");
            CheckGraph(k.Op);
            if (i > 0 && keys[i - 1] == k) throw new InvalidArgumentException($"Tensor '{k.Name}' is fed twice");
            if (feedDict.ConvertDtypes) v = ConvertFeed(k, v);
            CheckFeed(k, v);
            keys[i] = k;
            values[i] = v;
        }
        return (keys, values);
    }

    /// <summary>
    /// Converts a fed value to the fed tensor's dtype as TF's <c>session.run</c> converts a
    /// feed_dict value (<c>np.asarray(value, dtype=tensor.dtype)</c>): between numeric dtypes and
    /// bool, element by element with <see cref="Tensor.Cast"/>'s rules. A scalar integer that the
    /// dtype cannot hold exactly (300 into int8, 2^24 + 1 into float32) is refused, as TF refuses a
    /// Python int that does not survive the conversion; strings, resources and a dtype-less key
    /// are left for <see cref="CheckFeed"/> to judge. Callables take their feeds as they are.
    /// </summary>
    internal static Tensor ConvertFeed(Output key, Tensor value)
    {
        var to = key.DType;
        var from = value.DType;
        if (from == to || to == DType.Invalid || !Tensor.IsCastable(from) || !Tensor.IsCastable(to)) return value;
        var converted = value.Cast(to);
        if (value.Rank == 0 && from.IsInteger() && !converted.Cast(from).ValueEquals(value))
        {
            var op = key.Op;
            string where = op.Location is null ? "" : $" (defined at {op.Location})";
            throw Errors.Make(ErrorCode.InvalidArgument,
                $"Type of feed value {value.GetInt64(0)} with type {from.Name()} is not compatible with Tensor '{key.Name}'{where} of type {to.Name()}. " +
                "Try explicitly setting the type of the feed tensor to a larger type (e.g. int64).", null, op.Name);
        }
        return converted;
    }

    internal static void CheckFeed(Output key, Tensor value)
    {
        var op = key.Op;
        // An inert imported node's output may have no known dtype (DType.Invalid): any value feeds it.
        if ((value.DType == key.DType || key.DType == DType.Invalid) && key.Shape.IsCompatibleWith(value.Dims)) return;
        string where = op.Location is null ? "" : $" (defined at {op.Location})";
        if (value.DType != key.DType && key.DType != DType.Invalid)
            throw Errors.Make(ErrorCode.InvalidArgument,
                $"Cannot feed value of dtype {value.DType.Name()} for Tensor '{key.Name}'{where}, which has dtype {key.DType.Name()}", null, op.Name);
        if (!key.Shape.IsCompatibleWith(value.Dims))
            throw Errors.Make(ErrorCode.InvalidArgument,
                $"Cannot feed value of shape {Shape.Format(value.Dims)} for Tensor '{key.Name}'{where}, which has shape {key.Shape}", null, op.Name);
    }

    private ExecutionPlan GetPlan(Output[] feeds, Output[] fetches, Operation[] targets)
    {
        var sb = new StringBuilder();
        foreach (var f in feeds) sb.Append(f.Op.Id).Append(':').Append(f.Index).Append(',');
        sb.Append('|');
        foreach (var f in fetches) sb.Append(f.Op.Id).Append(':').Append(f.Index).Append(',');
        sb.Append('|');
        foreach (var t in targets.OrderBy(t => t.Id)) sb.Append(t.Id).Append(',');
        var key = sb.ToString();
        if (_plans.TryGetValue(key, out var plan)) return plan;
        lock (_planLock)
        {
            if (_plans.TryGetValue(key, out plan)) return plan;
            plan = new ExecutionPlan(this, feeds, fetches, targets);
            _plans[key] = plan;
            return plan;
        }
    }

    // ------------------------------------------------------------------ callables

    /// <summary>
    /// Compiles a run signature once (TF's <c>make_callable</c>). Each call feeds tensors in the
    /// order of <paramref name="feeds"/> and returns fetched values in reused buffers, allocating
    /// nothing in steady state.
    /// </summary>
    public Callable MakeCallable(Output[] feeds, Output[] fetches, params Operation[] targets) => MakeCallable(feeds, fetches, targets, []);

    /// <summary>
    /// Compiles a run signature with tensor connections (TF's <c>CallableOptions.tensor_connection</c>,
    /// which TF1 Keras uses for symbolic inputs): each <c>To</c> tensor is not computed, and what
    /// reads it gets the value of <c>From</c>, computed in the same step (feeds and dtypes must agree).
    /// </summary>
    public Callable MakeCallable(Output[] feeds, Output[] fetches, Operation[] targets, (Output From, Output To)[] tensorConnections)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(tensorConnections);
        foreach (var (from, to) in tensorConnections)
        {
            if (from.Op is null || to.Op is null) throw new InvalidArgumentException("A tensor connection has a default (unset) Output");
            CheckGraph(from.Op);
            CheckGraph(to.Op);
            if (from.DType != to.DType)
                throw new InvalidArgumentException($"Tensor connection from '{from.Name}' ({from.DType.Name()}) to '{to.Name}' ({to.DType.Name()}): the dtypes differ");
            if (Array.IndexOf(feeds ?? [], to) >= 0)
                throw new InvalidArgumentException($"Tensor '{to.Name}' is both fed and the end of a tensor connection");
        }
        if (tensorConnections.Select(c => c.To).Distinct().Count() != tensorConnections.Length)
            throw new InvalidArgumentException("A tensor is the end of two tensor connections");
        ArgumentNullException.ThrowIfNull(feeds);
        ArgumentNullException.ThrowIfNull(fetches);
        targets ??= [];
        foreach (var f in feeds.Concat(fetches))
        {
            if (f.Op is null) throw new InvalidArgumentException("MakeCallable was given a default (unset) Output");
            CheckGraph(f.Op);
        }
        foreach (var t in targets) CheckGraph(t ?? throw new InvalidArgumentException("A target is null"));
        if (feeds.Distinct().Count() != feeds.Length) throw new InvalidArgumentException("A tensor is fed twice");
        // A remote session compiles it on the server (MakeCallable) and runs it there (RunCallable).
        if (_remote is not null) return new Callable(this, _remote.MakeCallable(feeds, fetches, targets, tensorConnections, null), feeds);
        // Plans take feeds in sorted order; the callable maps caller order onto it.
        var sorted = feeds.Select((f, i) => (f, i)).OrderBy(p => p.f.Op.Id).ThenBy(p => p.f.Index).ToArray();
        var plan = new ExecutionPlan(this, sorted.Select(p => p.f).ToArray(), fetches, targets, connections: tensorConnections);
        return new Callable(this, plan, sorted.Select(p => p.i).ToArray(), feeds);
    }

    // ------------------------------------------------------------------ partial runs

    /// <summary>
    /// Declares a partial run (TF's <c>sess.partial_run_setup(fetches, feeds)</c>): the tensors that
    /// may be fetched, those that may be fed, and ops to run along the way. Feed and fetch it
    /// piecewise with <see cref="PartialRun"/> (or <see cref="PartialRunHandle.Run"/>). A remote
    /// session declares it on the server (PartialRunSetup) and runs each piece there.
    /// </summary>
    public PartialRunHandle PartialRunSetup(Output[] fetches, Output[] feeds, params Operation[] targets)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(fetches);
        ArgumentNullException.ThrowIfNull(feeds);
        targets ??= [];
        foreach (var f in fetches.Concat(feeds))
        {
            if (f.Op is null) throw new InvalidArgumentException("partial_run_setup was given a default (unset) Output");
            CheckGraph(f.Op);
        }
        foreach (var t in targets) CheckGraph(t ?? throw new InvalidArgumentException("A target is null"));
        var remote = _remote?.PartialRunSetup(fetches, feeds, targets, default);
        return new PartialRunHandle(this, fetches, feeds, targets, remote);
    }

    /// <summary>
    /// One piece of a partial run (TF's <c>sess.partial_run(handle, fetches, feed_dict)</c>): feeds
    /// some declared feeds and returns some declared fetches.
    /// </summary>
    public Tensor[] PartialRun(PartialRunHandle handle, Output[] fetches, FeedDict? feeds = null, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (!ReferenceEquals(handle.Session, this)) throw new InvalidArgumentException("The partial run handle belongs to another session");
        return handle.Run(fetches, feeds, options, cancellationToken);
    }

    // ------------------------------------------------------------------ runtime services

    internal OpKernel CreateKernel(Operation op)
    {
        try
        {
            return op.Spec.CreateKernel(new KernelBuilder(op, this));
        }
        catch (TensorGraphException e) when (e.NodeName is null)
        {
            throw Graph.NodeError(e, op.Name, op.Type, op.Location);
        }
    }

    internal VariableSlot ResolveVariable(Output refInput, Operation consumer)
    {
        var o = refInput;
        for (int guard = 0; guard < 1000; guard++)
        {
            if (o.Op.Spec.IsVariable) return Variables.Get(o.Op);
            if (o.Op.Spec.IsRefOutput(o.Index) && o.Op.NumInputs > 0 && o.Op.Spec.IsRefInput(0)) { o = o.Op.Inputs[0]; continue; }
            break;
        }
        throw Graph.NodeError(new InvalidArgumentException(
            $"Input '{refInput.Name}' must be a variable reference (a VariableV2 output), but it comes from a {refInput.Op.Type} op"),
            consumer.Name, consumer.Type, consumer.Location);
    }

    internal T OpState<T>(Operation op, Func<T> create) where T : class =>
        (T)_opState.GetOrAdd(op, _ => create());

    /// <summary>
    /// Closes the session: releases plans, op state and variable values. Later calls (runs,
    /// callables, savers) throw <see cref="ObjectDisposedException"/>; a run in flight stops
    /// before its next node with <see cref="CancelledException"/>, as TF's <c>Session.close()</c>
    /// cancels pending steps. Calling it again does nothing.
    /// </summary>
    public void Dispose()
    {
        if (_closed) return;
        _closed = true;
        _plans.Clear();
        _opState.Clear();
        _resources.Clear();
        _variables.Clear();
        _remote?.Dispose();
    }
}

/// <summary>
/// A compiled run signature from <see cref="Session.MakeCallable(Output[], Output[], Operation[])"/>. Calls are serialized; the
/// returned tensors are reused buffers, valid until the next call (use <see cref="Tensor.Clone"/>
/// to keep one). A remote session's callable lives on its server (TF's MakeCallable/RunCallable);
/// <see cref="Dispose"/> releases it there (ReleaseCallable).
/// </summary>
public sealed class Callable : IDisposable
{
    private readonly Session _session;
    private readonly int[] _order;
    private readonly Output[] _feeds;
    private readonly Tensor[] _sortedFeeds;
    private readonly Lock _lock = new();
    private readonly ExecState? _state;
    private readonly RemoteCallable? _remote;
    private bool _released;

    internal Callable(Session session, ExecutionPlan plan, int[] order, Output[] feeds)
    {
        _session = session;
        _order = order;
        _feeds = feeds;
        _sortedFeeds = new Tensor[feeds.Length];
        _state = plan.Rent();
    }

    internal Callable(Session session, RemoteCallable remote, Output[] feeds)
    {
        _session = session;
        _remote = remote;
        _feeds = feeds;
        _order = [.. Enumerable.Range(0, feeds.Length)];
        _sortedFeeds = new Tensor[feeds.Length];
    }

    /// <summary>Runs one step with <paramref name="feeds"/> in the order given at creation.</summary>
    public Tensor[] Run(params ReadOnlySpan<Tensor> feeds) => Run(feeds, null, default);

    /// <summary>Runs one step that <paramref name="cancellationToken"/> can stop between nodes (<see cref="CancelledException"/>).</summary>
    public Tensor[] Run(ReadOnlySpan<Tensor> feeds, CancellationToken cancellationToken) => Run(feeds, null, cancellationToken);

    /// <summary>
    /// Runs one step with a timeout (<see cref="RunOptions.TimeoutInMs"/>, else the session's
    /// default) and a token, both checked before each node. A stopped step leaves the callable
    /// usable; its result buffers then hold unspecified values until the next successful call.
    /// </summary>
    public Tensor[] Run(ReadOnlySpan<Tensor> feeds, RunOptions? options, CancellationToken cancellationToken = default) =>
        Run(feeds, options, null, cancellationToken);

    /// <summary>
    /// Runs one step as <see cref="Run(ReadOnlySpan{Tensor}, RunOptions?, CancellationToken)"/> does,
    /// and reports what it did in <paramref name="runMetadata"/>: its <c>StepStats</c> when
    /// <see cref="RunOptions.TraceLevel"/> asks for a trace, else nothing.
    /// </summary>
    public Tensor[] Run(ReadOnlySpan<Tensor> feeds, RunOptions? options, Proto.RunMetadata? runMetadata, CancellationToken cancellationToken = default)
    {
        _session.ThrowIfDisposed();
        if (cancellationToken.IsCancellationRequested) throw ExecState.CancelledError();
        if (feeds.Length != _feeds.Length)
            throw new InvalidArgumentException($"This callable takes {_feeds.Length} feeds, got {feeds.Length}");
        lock (_lock)
        {
            if (_released) throw new InvalidArgumentException("Attempted to run callable after handle was released");
            for (int i = 0; i < _order.Length; i++)
            {
                var t = feeds[_order[i]] ?? throw new InvalidArgumentException($"Feed {_order[i]} is null");
                Session.CheckFeed(_feeds[_order[i]], t);
                _sortedFeeds[i] = t;
            }
            try
            {
                if (runMetadata is not null) runMetadata.StepStats = null;
                if (_remote is not null) return _remote.Run(_sortedFeeds, _session.TimeoutFor(options), cancellationToken);
                var trace = Session.TraceFor(options, runMetadata);
                _state!.Execute(_sortedFeeds, _session.TimeoutFor(options), trace, cancellationToken);
                if (trace is not null) runMetadata!.StepStats = trace.Finish();
            }
            finally
            {
                Array.Clear(_sortedFeeds);
            }
            GC.KeepAlive(_session);
            return _state.Results;
        }
    }

    /// <summary>
    /// Releases the callable (TF's <c>ReleaseCallable</c>; a remote one is dropped on its server).
    /// Later calls fail with <see cref="InvalidArgumentException"/>. Calling it again does nothing.
    /// </summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_released) return;
            _released = true;
            _remote?.Dispose();
        }
    }
}
