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
}
