using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// QueueDequeueV2: removes one element, waiting while the queue is empty (or, for a random
/// shuffle queue, holds no more than min_after_dequeue); a closed empty queue is OutOfRange.
/// </summary>
internal sealed class QueueDequeueV2Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("component_types", "list(type)", Minimum: 1), new("timeout_ms", "int", Attr.Int(-1))];

    public const string OpType = "QueueDequeueV2";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    public override bool IsStateful => true;

    protected override string[] InputArgs => ["handle: resource"];

    protected override string[] OutputArgs => ["components: component_types"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c) => QueueOps.InferDequeue(c, batch: null);

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var types = QueueOps.Types(b.Op.GetAttr("component_types"));
        return new LambdaKernel(ctx =>
        {
            var q = QueueResource.Resolve(ctx.Input(0));
            QueueOps.CheckTypes(q, types);
            // The dequeued tensors belong to nobody else now.
            var e = q.Dequeue(1, false, ctx)[0];
            for (int i = 0; i < e.Length; i++) ctx.SetOutput(i, e[i]);
        }, OutputKind.External);
    }
}

public sealed partial class Graph
{
    /// <summary><c>QueueDequeueV2</c> on a queue handle holding <paramref name="componentTypes"/> (see <see cref="Queue.Dequeue"/> for TF's naming).</summary>
    public Output[] QueueDequeueV2(Output handle, DType[] componentTypes, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(componentTypes);
        return AddOp(QueueDequeueV2Spec.OpType, [handle], name, attrs: [new("component_types", Attr.Types(componentTypes))]).Outputs;
    }
}
