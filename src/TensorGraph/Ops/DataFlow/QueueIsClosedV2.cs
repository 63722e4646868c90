using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>QueueIsClosedV2: whether the queue has been closed (bool scalar).</summary>
internal sealed class QueueIsClosedV2Spec : OpSpec
{
    public const string OpType = "QueueIsClosedV2";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    public override bool IsStateful => true;

    protected override string[] InputArgs => ["handle: resource"];

    protected override string[] OutputArgs => ["is_closed: bool"];

    public override void Infer(InferContext c)
    {
        QueueOps.RequireHandle(c);
        c.AddOutput(DType.Bool, Shape.Scalar);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(static ctx =>
        ctx.AllocateOutput(0, DType.Bool, []).Span<bool>()[0] = QueueResource.Resolve(ctx.Input(0)).IsClosed);
}

public sealed partial class Graph
{
    /// <summary><c>QueueIsClosedV2</c> on a queue handle (see <see cref="Queue.IsClosed"/> for TF's naming).</summary>
    public Output QueueIsClosedV2(Output handle, string? name = null) => AddOp(QueueIsClosedV2Spec.OpType, [handle], name)[0];
}
