using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>
/// PriorityQueueV2: every element starts with an int64 scalar priority (not listed in
/// <c>component_types</c>); dequeues take the smallest priority first.
/// </summary>
internal sealed class PriorityQueueV2Spec : QueueOpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
    [
        new("component_types", "list(type)", Attr.Types([])), new("shapes", "list(shape)"),
        new("capacity", "int", Attr.Int(-1)), new("container", "string", Attr.String("")), new("shared_name", "string", Attr.String("")),
    ];

    public const string OpType = "PriorityQueueV2";

    public override string Type => OpType;

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override DType[] ComponentTypes(Operation queueOp) => [DType.Int64, .. base.ComponentTypes(queueOp)];

    public override Shape[] ComponentShapes(Operation queueOp) => [Shape.Scalar, .. base.ComponentShapes(queueOp)];

    protected override void CheckAttrs(InferContext c, DType[] types, Shape[] shapes)
    {
        if (shapes.Length != types.Length)
            throw c.Error($"Shapes must be provided for all components, but received {types.Length} dtypes and {shapes.Length} shapes.");
        foreach (var s in shapes)
        {
            if (!s.IsFullyDefined) throw c.Error($"Every component shape must be fully defined, got {s}");
        }
    }

    protected override QueueResource Create(Operation op, string name, DType[] types, Shape[] shapes, int capacity) =>
        new PriorityQueueResource(OpType, name, types, shapes, capacity);
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.PriorityQueue(capacity, types, shapes, shared_name, name="priority_queue")</c>:
    /// elements are (priority, components…) with an int64 scalar priority first; dequeues return
    /// the smallest priority first (equal priorities in enqueue order).
    /// </summary>
    public Queue PriorityQueue(int capacity, DType[] types, Shape[] shapes, string? sharedName = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(types);
        ArgumentNullException.ThrowIfNull(shapes);
        var handle = AddOp(PriorityQueueV2Spec.OpType, [], name ?? "priority_queue", attrs: QueueAttrs(types, shapes, capacity, sharedName))[0];
        return new Queue(this, handle, [DType.Int64, .. types], [Shape.Scalar, .. shapes]);
    }
}
