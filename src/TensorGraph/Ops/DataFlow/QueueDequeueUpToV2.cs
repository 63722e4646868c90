using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// QueueDequeueUpToV2: DequeueMany, except that a closed queue holding fewer than n (but more
/// than 0) elements returns what is left; a closed empty queue is OutOfRange.
/// </summary>
internal sealed class QueueDequeueUpToV2Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("component_types", "list(type)", Minimum: 1), new("timeout_ms", "int", Attr.Int(-1))];

    public const string OpType = "QueueDequeueUpToV2";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    public override bool IsStateful => true;

    protected override string[] InputArgs => ["handle: resource", "n: int32"];

    protected override string[] OutputArgs => ["components: component_types"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    /// <summary>The batch dimension is unknown (TF's Python sets <c>[None] + shape</c>).</summary>
    public override void Infer(InferContext c)
    {
        c.RequireType(1, DType.Int32);
        QueueOps.InferDequeue(c, -1);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => QueueOps.ManyKernel(b, allowSmallBatch: true, OpType);
}

public sealed partial class Graph
{
    /// <summary><c>QueueDequeueUpToV2</c> on a queue handle (see <see cref="Queue.DequeueUpTo(Output, string?)"/> for TF's naming).</summary>
    public Output[] QueueDequeueUpToV2(Output handle, Output n, DType[] componentTypes, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(componentTypes);
        return AddOp(QueueDequeueUpToV2Spec.OpType, [handle, n], name, attrs: [new("component_types", Attr.Types(componentTypes))]).Outputs;
    }
}
