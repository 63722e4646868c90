using System.Collections.Concurrent;

namespace TensorGraph.Runtime;

/// <summary>The value of one variable in one session.</summary>
internal sealed class VariableSlot(Operation op)
{
    public Operation Op { get; } = op;

    /// <summary>The current value; null until initialized.</summary>
    public volatile Tensor? Value;

    /// <summary>Taken by updates (Assign, optimizers) so concurrent writers do not interleave.</summary>
    public readonly Lock Sync = new();

    private static long s_nextOrder;

    /// <summary>
    /// A process-wide creation number: a kernel that holds several <see cref="Sync"/> locks takes
    /// them in increasing order, so two such kernels never wait on each other.
    /// </summary>
    public long LockOrder { get; } = Interlocked.Increment(ref s_nextOrder);

    /// <summary>
    /// The variable a resource handle (a VarHandleOp's output) points at; <paramref name="what"/>
    /// names the input in the error when the tensor is not a handle.
    /// </summary>
    public static VariableSlot FromHandle(Tensor handle, string what = "the input") =>
        handle.DType == DType.Resource && handle.Size == 1 && handle.Data.GetValue(0) is VariableSlot s
            ? s
            : throw new InvalidArgumentException($"Expected a resource variable handle for {what}, got a {handle.DType.Name()} tensor of shape {Shape.Format(handle.Dims)}");

    /// <summary>The current value of a resource variable, or the error TF gives for an uninitialized one.</summary>
    public Tensor ValueOrThrow() => Value ?? throw new FailedPreconditionException(
        $"Error while reading resource variable {Op.Name}: it is uninitialized ({Op.Location?.Describe(Op.Name) ?? "defined at ?"})");

    /// <summary>The distinct slots of <paramref name="slots"/> in <see cref="LockOrder"/>.</summary>
    public static VariableSlot[] InLockOrder(IEnumerable<VariableSlot> slots) =>
        [.. slots.Distinct().OrderBy(s => s.LockOrder)];
}

/// <summary>Variables live in the session, not the graph, as in TensorFlow.</summary>
internal sealed class VariableStore
{
    private readonly ConcurrentDictionary<Operation, VariableSlot> _slots = new();

    public VariableSlot Get(Operation variableOp) => _slots.GetOrAdd(variableOp, op => new VariableSlot(op));

    public IEnumerable<VariableSlot> All => _slots.Values;

    private readonly ConcurrentDictionary<string, VariableSlot> _resources = new(StringComparer.Ordinal);

    /// <summary>The resource variable named <paramref name="key"/> (container/shared_name), created by its first VarHandleOp.</summary>
    public VariableSlot GetResource(string key, Operation handleOp) => _resources.GetOrAdd(key, _ => new VariableSlot(handleOp));

    /// <summary>Drops every variable (the session is closing); kernels of a run still in flight keep their slots.</summary>
    public void Clear()
    {
        _slots.Clear();
        _resources.Clear();
    }
}
