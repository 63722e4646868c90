using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// TensorArrayReadV3: element <c>index</c> of the array. An element nobody wrote reads as zeros
/// when the element shape is fully defined (always, for a gradient array); with
/// <c>clear_after_read</c> a second read of one index fails.
/// </summary>
internal sealed class TensorArrayReadV3Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("dtype", "type")];

    public const string OpType = "TensorArrayReadV3";

    public override string Type => OpType;

    protected override string[] InputArgs => ["handle: resource", "index: int32", "flow_in: float"];

    protected override string[] OutputArgs => ["value: dtype"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        TensorArrayInference.CheckInputs(c, this, 1, 2);
        c.AddOutput(c.AttrType("dtype"), TensorArrayInference.ElementShape(c.Inputs[0]) ?? Shape.Unknown);
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var dtype = b.OutputType(0);
        return new LambdaKernel(ctx =>
        {
            int index = TensorArrayResource.Index(ctx.Input(1));
            var ta = TensorArrayResource.From(ctx);
            ta.RequireDType(dtype);
            ctx.SetOutput(0, ta.Read(index));
        }, OutputKind.External);
    }

    /// <summary>
    /// TF 1.15's <c>_TensorArrayReadGrad</c>: writes the gradient into the gradient array of this
    /// gradient computation at the same index; the gradient of the flow is that write's flow.
    /// </summary>
    public override Output?[] Gradient(GradContext c)
    {
        var flow = c.Input(2);
        var g = TensorArray.FromHandle(c.Input(0), flow, c.Op.GetAttrType("dtype")).Grad(TensorArrayInference.GradSource(c.Grad), flow);
        return [null, null, g.Write(c.Input(1), c.Grad).Flow];
    }
}

public sealed partial class Graph
{
    /// <summary>A raw <c>TensorArrayReadV3</c> node (see <see cref="TensorArray.Read(Output, string?)"/>).</summary>
    public Output TensorArrayReadV3(Output handle, Output index, Output flowIn, DType dtype, string? name = null) =>
        AddOp(TensorArrayReadV3Spec.OpType, [handle, index, flowIn], name, null, [new("dtype", Attr.Type(dtype))])[0];
}
