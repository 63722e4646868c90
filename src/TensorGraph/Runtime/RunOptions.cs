namespace TensorGraph;

/// <summary>
/// Per-call options of <see cref="Session.Run(Output, FeedDict?, RunOptions?, CancellationToken)"/>
/// and <see cref="Callable.Run(ReadOnlySpan{Tensor}, RunOptions?, CancellationToken)"/> (TF's
/// <c>RunOptions</c>). Immutable, so one instance can be shared by every call.
/// </summary>
public sealed class RunOptions
{
    /// <summary>
    /// The most milliseconds the run may take (TF's <c>timeout_in_ms</c>); 0 or less means the
    /// session's <see cref="Session.OperationTimeoutInMs"/>. A run past it stops before its next
    /// node and fails with <see cref="DeadlineExceededException"/>; nodes that already ran keep
    /// their effects (variable updates stay), as in TF.
    /// </summary>
    public long TimeoutInMs { get; init; }

    /// <summary>
    /// Whether the run records step statistics (TF's <c>trace_level</c>): anything but
    /// <see cref="TensorGraph.TraceLevel.NoTrace"/> fills the <c>StepStats</c> of the
    /// <see cref="Proto.RunMetadata"/> passed to the run with one <c>NodeExecStats</c> per executed
    /// node. There is one CPU device, so every level records the same thing.
    /// </summary>
    public TraceLevel TraceLevel { get; init; }
}

/// <summary>How much a run traces (TF's <c>RunOptions.TraceLevel</c>, same numbers).</summary>
public enum TraceLevel
{
    /// <summary>No tracing: the executor does no extra work per node.</summary>
    NoTrace = 0,

    /// <summary>Per-node timings and outputs on the CPU (TF's software trace).</summary>
    SoftwareTrace = 1,

    /// <summary>TF adds device (GPU) tracer events; there is no such device here, so this records what <see cref="SoftwareTrace"/> does.</summary>
    HardwareTrace = 2,

    /// <summary>Everything TF records; here the same as <see cref="SoftwareTrace"/>.</summary>
    FullTrace = 3,
}
