using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>
/// PaddingFIFOQueueV2: a FIFO queue whose component shapes may have unknown dimensions (-1);
/// DequeueMany pads each batch with zeros to the largest element in every dimension.
/// </summary>
internal sealed class PaddingFIFOQueueV2Spec : QueueOpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
    [
        new("component_types", "list(type)", Minimum: 1), new("shapes", "list(shape)", Attr.Shapes([])),
        new("capacity", "int", Attr.Int(-1)), new("container", "string", Attr.String("")), new("shared_name", "string", Attr.String("")),
    ];

    public const string OpType = "PaddingFIFOQueueV2";

    public override string Type => OpType;

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    /// <summary>TF's PaddingFIFOQueueOp: shapes are required (one per component, of known rank), unknown dimensions allowed.</summary>
    protected override void CheckAttrs(InferContext c, DType[] types, Shape[] shapes)
    {
        if (types.Length == 0) throw c.Error("component_types must list at least one dtype");
        if (shapes.Length != types.Length)
            throw c.Error($"Shapes must be provided for all components, but received {types.Length} dtypes and {shapes.Length} shapes.");
        foreach (var s in shapes)
        {
            if (!s.IsRankKnown) throw c.Error("PaddingFIFOQueue component shapes must have a known rank");
        }
    }

    protected override QueueResource Create(Operation op, string name, DType[] types, Shape[] shapes, int capacity) =>
        new PaddingFifoQueueResource(OpType, name, types, shapes, capacity);
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.PaddingFIFOQueue(capacity, dtypes, shapes, shared_name, name="padding_fifo_queue")</c>:
    /// a FIFO queue whose <paramref name="shapes"/> may have unknown dimensions (-1); DequeueMany
    /// pads the elements of a batch with zeros (empty strings) to the largest size per dimension.
    /// </summary>
    public Queue PaddingFIFOQueue(int capacity, DType[] dtypes, Shape[] shapes, string? sharedName = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(dtypes);
        ArgumentNullException.ThrowIfNull(shapes);
        var handle = AddOp(PaddingFIFOQueueV2Spec.OpType, [], name ?? "padding_fifo_queue", attrs: QueueAttrs(dtypes, shapes, capacity, sharedName))[0];
        return new Queue(this, handle, dtypes, shapes);
    }
}
