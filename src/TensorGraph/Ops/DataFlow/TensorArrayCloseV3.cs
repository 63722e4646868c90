using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>TensorArrayCloseV3: drops the array's elements and closes it; later ops on it fail.</summary>
internal sealed class TensorArrayCloseV3Spec : OpSpec
{
    public const string OpType = "TensorArrayCloseV3";

    public override string Type => OpType;

    /// <summary>TF 1.15: <c>ops.NotDifferentiable("TensorArrayCloseV3")</c>.</summary>
    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["handle: resource"];

    protected override string[] OutputArgs => [];

    public override void Infer(InferContext c) => TensorArrayInference.CheckInputs(c, this);

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(static ctx => TensorArrayResource.From(ctx).Close());
}

public sealed partial class Graph
{
    /// <summary>A raw <c>TensorArrayCloseV3</c> node (see <see cref="TensorArray.Close"/>).</summary>
    public Operation TensorArrayCloseV3(Output handle, string? name = null) => AddOp(TensorArrayCloseV3Spec.OpType, [handle], name);
}
