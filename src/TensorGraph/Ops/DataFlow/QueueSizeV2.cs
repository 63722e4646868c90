using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>QueueSizeV2: the number of elements in the queue (int32 scalar).</summary>
internal sealed class QueueSizeV2Spec : OpSpec
{
    public const string OpType = "QueueSizeV2";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    public override bool IsStateful => true;

    protected override string[] InputArgs => ["handle: resource"];

    protected override string[] OutputArgs => ["size: int32"];

    public override void Infer(InferContext c)
    {
        QueueOps.RequireHandle(c);
        c.AddOutput(DType.Int32, Shape.Scalar);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(static ctx =>
        ctx.AllocateOutput(0, DType.Int32, []).Span<int>()[0] = QueueResource.Resolve(ctx.Input(0)).Size);
}

public sealed partial class Graph
{
    /// <summary><c>QueueSizeV2</c> on a queue handle (see <see cref="Queue.Size"/> for TF's naming).</summary>
    public Output QueueSizeV2(Output handle, string? name = null) => AddOp(QueueSizeV2Spec.OpType, [handle], name)[0];
}
