using TensorGraph.Proto;

namespace TensorGraph;

/// <summary>
/// Settings of a <see cref="Session"/> fixed at creation, named after TF's <c>ConfigProto</c>
/// fields (<see cref="Session(Graph, SessionOptions)"/>; <see cref="FromConfigProto"/> reads a
/// <c>ConfigProto</c>). What each knob affects here:
/// <list type="bullet">
/// <item><see cref="IntraOpParallelismThreads"/> caps the threads one kernel may use. The kernels
/// that split their work across threads are the float32/float64 matrix products (MatMul,
/// BatchMatMul, the fused dense kernel), Conv2D and its gradients, MaxPool and its gradients,
/// large element-wise unary and binary ops and large dense Apply* optimizer updates, which share
/// one pool of GEMM workers; every other kernel runs on the calling thread.</item>
/// <item><see cref="InterOpParallelismThreads"/> above 1 lets independent nodes of a plan without
/// while loops run at the same time, on the calling thread and helpers from the .NET thread pool;
/// results are the same as one node at a time (see the property). Plans with while loops and
/// function bodies always run one node at a time. (Separate <c>Run</c> calls, e.g. queue runners,
/// run concurrently whatever its value, each on its own thread.)</item>
/// <item><see cref="OperationTimeoutInMs"/> is <see cref="Session.OperationTimeoutInMs"/>.</item>
/// <item><see cref="AllowSoftPlacement"/> and <see cref="LogDevicePlacement"/> are TF's placement
/// switches over the one device, <c>/job:localhost/replica:0/task:0/device:CPU:0</c>.</item>
/// </list>
/// </summary>
public sealed class SessionOptions
{
    /// <summary>
    /// The most threads one kernel may use (TF's <c>intra_op_parallelism_threads</c>); 0 (the
    /// default) means one per core. 1 runs every product on the calling thread; results are the
    /// same bit for bit whatever the value. Negative values are rejected.
    /// </summary>
    public int IntraOpParallelismThreads { get; init; }

    /// <summary>
    /// TF's <c>inter_op_parallelism_threads</c>: how many nodes of one run may run at once. 0 (the
    /// default) and 1 run one node at a time, because every large kernel already splits its work
    /// across all cores (<see cref="IntraOpParallelismThreads"/>), so a node running beside it takes
    /// a core from it; more pays off for graphs of many independent small ops (docs/PERFORMANCE.md
    /// has both measured). Whatever the value, a run computes what a sequential run computes: besides
    /// data and control edges, a node waits for the readers of a buffer it reuses, readers of a
    /// variable or other state wait for its last earlier writer and writers for every earlier reader
    /// (TF leaves such races to the graph's control dependencies), and stateful ops keep their order.
    /// Nodes running at once share the intra-op threads. Negative values are rejected.
    /// </summary>
    public int InterOpParallelismThreads { get; init; }

    /// <summary>The default timeout of every run in milliseconds (TF's <c>operation_timeout_in_ms</c>); 0 or less for none.</summary>
    public long OperationTimeoutInMs { get; init; }

    /// <summary>
    /// TF's <c>allow_soft_placement</c>: a node explicitly assigned to a device this process does not
    /// have (<c>/device:GPU:0</c>, <c>/device:CPU:1</c>) runs on the CPU instead of failing its run
    /// with "Cannot assign a device for operation …". The job, replica and task still have to be
    /// this process's (<c>/job:localhost/replica:0/task:0</c>, or unset), as in TF. Default false.
    /// </summary>
    public bool AllowSoftPlacement { get; init; }

    /// <summary>
    /// TF's <c>log_device_placement</c>: the session writes TF's <c>Device mapping: no known devices.</c>
    /// when it is created, and each plan it compiles writes one <c>name: (Op): device</c> line per
    /// node it places (nodes with inputs first, then the generators, as TF's placer does), to
    /// <see cref="DevicePlacementLog"/>. Default false.
    /// </summary>
    public bool LogDevicePlacement { get; init; }

    /// <summary>Where <see cref="LogDevicePlacement"/> writes; null (the default) is standard error.</summary>
    public TextWriter? DevicePlacementLog { get; init; }

    /// <summary>
    /// The options a TF <c>ConfigProto</c> sets: the thread counts, <c>operation_timeout_in_ms</c>,
    /// <c>allow_soft_placement</c> and <c>log_device_placement</c> (its other fields have no meaning
    /// for one CPU and are ignored).
    /// </summary>
    public static SessionOptions FromConfigProto(ConfigProto config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new SessionOptions
        {
            IntraOpParallelismThreads = config.IntraOpParallelismThreads,
            InterOpParallelismThreads = config.InterOpParallelismThreads,
            OperationTimeoutInMs = config.OperationTimeoutInMs,
            AllowSoftPlacement = config.AllowSoftPlacement,
            LogDevicePlacement = config.LogDevicePlacement,
        };
    }

    /// <summary>Throws <see cref="InvalidArgumentException"/> for a negative thread count.</summary>
    internal void Validate()
    {
        if (IntraOpParallelismThreads < 0)
            throw new InvalidArgumentException($"intra_op_parallelism_threads must be 0 (one per core) or more, got {IntraOpParallelismThreads}");
        if (InterOpParallelismThreads < 0)
            throw new InvalidArgumentException($"inter_op_parallelism_threads must be 0 (the default) or more, got {InterOpParallelismThreads}");
    }
}
