using System.Text;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// ReaderReadV2: the next (key, value) record of a reader, which takes file names from the queue
/// <c>queue_handle</c> as it needs them (waiting for one while the queue is empty). A closed,
/// empty queue ends the input: OutOfRange.
/// </summary>
internal sealed class ReaderReadV2Spec : OpSpec
{
    public const string OpType = "ReaderReadV2";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    public override bool IsStateful => true;

    protected override string[] InputArgs => ["reader_handle: resource", "queue_handle: resource"];

    protected override string[] OutputArgs => ["key: string", "value: string"];

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.Resource);
        c.RequireType(1, DType.Resource);
        c.AddOutput(DType.String, Shape.Scalar);
        c.AddOutput(DType.String, Shape.Scalar);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(static ctx =>
    {
        var reader = ReaderResource.Resolve(ctx.Input(0));
        var queue = QueueResource.Resolve(ctx.Input(1));
        var (key, value) = reader.Read(queue, ctx);
        ctx.AllocateOutput(0, DType.String, []).Span<byte[]>()[0] = Encoding.UTF8.GetBytes(key);
        ctx.AllocateOutput(1, DType.String, []).Span<byte[]>()[0] = value;
    });
}

public sealed partial class Graph
{
    /// <summary>TF's <c>reader.read(queue)</c>: a ReaderReadV2 node returning (key, value) scalars.</summary>
    public (Output Key, Output Value) ReaderRead(Output reader, Queue queue, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(queue);
        var op = AddOp(ReaderReadV2Spec.OpType, [reader, queue.Handle], name);
        return (op[0], op[1]);
    }
}
