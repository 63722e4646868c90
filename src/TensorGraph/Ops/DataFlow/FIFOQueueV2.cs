using TensorGraph.Proto;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>FIFOQueueV2: a first-in first-out queue of tuples of tensors, living in the session (TF's <c>tf.FIFOQueue</c>).</summary>
internal sealed class FIFOQueueV2Spec : QueueOpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
    [
        new("component_types", "list(type)", Minimum: 1), new("shapes", "list(shape)", Attr.Shapes([])),
        new("capacity", "int", Attr.Int(-1)), new("container", "string", Attr.String("")), new("shared_name", "string", Attr.String("")),
    ];

    public const string OpType = "FIFOQueueV2";

    public override string Type => OpType;

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override QueueResource Create(Operation op, string name, DType[] types, Shape[] shapes, int capacity) =>
        new FifoQueueResource(OpType, name, types, shapes, capacity);
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.FIFOQueue(capacity, dtypes, shapes, shared_name, name="fifo_queue")</c>: a
    /// FIFOQueueV2 node and the <see cref="Queue"/> object whose methods build its enqueue, dequeue,
    /// close and size ops (<c>fifo_queue_enqueue</c>, <c>fifo_queue_Dequeue</c>, …). With
    /// <paramref name="shapes"/> every element must have them and DequeueMany is allowed.
    /// <paramref name="capacity"/> &lt; 0 is unbounded.
    /// </summary>
    public Queue FIFOQueue(int capacity, DType[] dtypes, Shape[]? shapes = null, string? sharedName = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(dtypes);
        var handle = AddOp(FIFOQueueV2Spec.OpType, [], name ?? "fifo_queue", attrs: QueueAttrs(dtypes, shapes, capacity, sharedName))[0];
        return new Queue(this, handle, dtypes, shapes ?? []);
    }

    private static KeyValuePair<string, AttrValue>[] QueueAttrs(IEnumerable<DType> dtypes, Shape[]? shapes, int capacity, string? sharedName) =>
    [
        new("component_types", Attr.Types(dtypes)), new("shapes", Attr.Shapes(shapes ?? [])),
        new("capacity", Attr.Int(capacity)), new("shared_name", Attr.String(sharedName ?? "")),
    ];
}
