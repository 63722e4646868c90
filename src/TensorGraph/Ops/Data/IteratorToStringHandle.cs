using System.Text;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>IteratorToStringHandle: a string naming the iterator in its session, for IteratorFromStringHandleV2 (TF's <c>Iterator.string_handle</c>).</summary>
internal sealed class IteratorToStringHandleSpec : OpSpec
{
    public const string OpType = "IteratorToStringHandle";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["resource_handle: resource"];

    protected override string[] OutputArgs => ["string_handle: string"];

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.Resource);
        c.AddOutput(DType.String, Shape.Scalar);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(ctx =>
    {
        var it = IteratorResource.Resolve(ctx.Input(0));
        var o = ctx.AllocateOutput(0, DType.String, []);
        o.Span<byte[]>()[0] = Encoding.UTF8.GetBytes(it.Key);
    });
}

public sealed partial class Graph
{
    /// <summary>An IteratorToStringHandle node: the string handle of <paramref name="iterator"/>.</summary>
    public Output IteratorToStringHandle(Output iterator, string? name = null) =>
        AddOp(IteratorToStringHandleSpec.OpType, [iterator], name)[0];
}
