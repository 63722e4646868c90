using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// QueueCloseV2: no more enqueues; dequeues drain what is left, then fail with OutOfRange. With
/// cancel_pending_enqueues, enqueues waiting for room fail with Cancelled.
/// </summary>
internal sealed class QueueCloseV2Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("cancel_pending_enqueues", "bool", Attr.Bool(false))];

    public const string OpType = "QueueCloseV2";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    public override bool IsStateful => true;

    protected override string[] InputArgs => ["handle: resource"];

    protected override string[] OutputArgs => [];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c) => QueueOps.RequireHandle(c);

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        bool cancel = b.Op.GetAttrBool("cancel_pending_enqueues");
        return new LambdaKernel(ctx => QueueResource.Resolve(ctx.Input(0)).Close(cancel, ctx));
    }
}

public sealed partial class Graph
{
    /// <summary><c>QueueCloseV2</c> on a queue handle (see <see cref="Queue.Close"/> for TF's naming).</summary>
    public Operation QueueCloseV2(Output handle, bool cancelPendingEnqueues = false, string? name = null) =>
        AddOp(QueueCloseV2Spec.OpType, [handle], name, attrs: [new("cancel_pending_enqueues", Attr.Bool(cancelPendingEnqueues))]);
}
