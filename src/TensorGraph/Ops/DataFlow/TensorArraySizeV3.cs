using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>TensorArraySizeV3: the array's current number of elements (int32).</summary>
internal sealed class TensorArraySizeV3Spec : OpSpec
{
    public const string OpType = "TensorArraySizeV3";

    public override string Type => OpType;

    /// <summary>TF 1.15: <c>ops.NotDifferentiable("TensorArraySizeV3")</c>.</summary>
    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["handle: resource", "flow_in: float"];

    protected override string[] OutputArgs => ["size: int32"];

    public override void Infer(InferContext c)
    {
        TensorArrayInference.CheckInputs(c, this, 1);
        c.AddOutput(DType.Int32, Shape.Scalar);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(static ctx =>
        ctx.AllocateOutput(0, DType.Int32, []).Span<int>()[0] = TensorArrayResource.From(ctx).Size());
}

public sealed partial class Graph
{
    /// <summary>A raw <c>TensorArraySizeV3</c> node (see <see cref="TensorArray.Size"/>).</summary>
    public Output TensorArraySizeV3(Output handle, Output flowIn, string? name = null) =>
        AddOp(TensorArraySizeV3Spec.OpType, [handle, flowIn], name)[0];
}
