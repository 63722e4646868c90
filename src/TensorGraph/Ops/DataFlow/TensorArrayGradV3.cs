using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// TensorArrayGradV3: the gradient tensor array of the array <c>handle</c> for the gradient
/// computation <c>source</c> (e.g. <c>gradients</c>), created on the first execution in a run and
/// found again by later ones (it runs in every iteration of a backward loop). It has the forward
/// array's size and element shape, sums multiple writes to one index, and reads an index nothing
/// wrote as zeros of the shape the forward array had there. Creating it fixes the forward array's
/// size. TensorArrayGradWithShape (same file) prefixes every element shape with
/// <c>shape_to_prepend</c>.
/// </summary>
internal class TensorArrayGradV3Spec : OpSpec, ITensorArraySource
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("source", "string")];

    public const string OpType = "TensorArrayGradV3";

    public override string Type => OpType;

    /// <summary>TF 1.15: <c>ops.NotDifferentiable("TensorArrayGradV3")</c>.</summary>
    public override bool NotDifferentiable => true;

    public override bool IsStateful => true;

    protected override string[] InputArgs => ["handle: resource", "flow_in: float"];

    protected override string[] OutputArgs => ["grad_handle: resource", "flow_out: float"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        TensorArrayInference.CheckInputs(c, this, 1);
        c.AddOutput(DType.Resource, Shape.Scalar);
        c.AddOutput(DType.Float32, Shape.Scalar);
    }

    public virtual Shape? HandleElementShape(Operation op, int output) => output == 0 ? TensorArrayInference.ElementShape(op.Inputs[0]) : null;

    /// <summary>The dims to prefix every element shape with (none for TensorArrayGradV3).</summary>
    protected virtual int[]? ShapeToPrepend(OpContext ctx) => null;

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var source = b.Op.GetAttrString("source");
        var flow = Tensor.Scalar(0f);
        return new LambdaKernel(ctx =>
        {
            var forward = TensorArrayResource.From(ctx);
            var grad = forward.GradArray(ctx.RunResources, source, ShapeToPrepend(ctx));
            ctx.SetOutput(0, RunResources.Handle(grad));
            ctx.SetOutput(1, flow);
        }, OutputKind.External);
    }
}

/// <summary>TensorArrayGradWithShape: TensorArrayGradV3 whose element shapes are prefixed by the int32 vector <c>shape_to_prepend</c>.</summary>
internal sealed class TensorArrayGradWithShapeSpec : TensorArrayGradV3Spec
{
    public new const string OpType = "TensorArrayGradWithShape";

    public override string Type => OpType;

    protected override string[] InputArgs => ["handle: resource", "flow_in: float", "shape_to_prepend: int32"];

    public override void Infer(InferContext c)
    {
        TensorArrayInference.CheckInputs(c, this, 1);
        TensorArrayInference.RequireRank(c, 2, 1);
        c.AddOutput(DType.Resource, Shape.Scalar);
        c.AddOutput(DType.Float32, Shape.Scalar);
    }

    /// <summary>TF's shape function: as many unknown dims as <c>shape_to_prepend</c> has, then the forward element shape.</summary>
    public override Shape? HandleElementShape(Operation op, int output)
    {
        if (output != 0 || TensorArrayInference.ElementShape(op.Inputs[0]) is not { } forward) return null;
        int prepend = op.Inputs[2].Shape.IsRankKnown && op.Inputs[2].Shape.Rank == 1 ? op.Inputs[2].Shape[0] : -1;
        return prepend >= 0 && forward.IsRankKnown ? TensorArrayInference.Concatenate(Shape.UnknownOfRank(prepend), forward) : Shape.Unknown;
    }

    protected override int[]? ShapeToPrepend(OpContext ctx)
    {
        var t = ctx.Input(2);
        if (t.Rank != 1) throw OpContext.Error($"shape_to_prepend must be a vector, but had shape: {Shape.Format(t.Dims)}");
        var dims = new int[t.Size];
        t.ReadDimensions(dims, "shape_to_prepend");
        return dims;
    }
}

public sealed partial class Graph
{
    /// <summary>A raw <c>TensorArrayGradV3</c> node for gradient computation <paramref name="source"/>; returns (grad handle, flow).</summary>
    public (Output Handle, Output Flow) TensorArrayGradV3(Output handle, Output flowIn, string source, string? name = null)
    {
        var op = AddOp(TensorArrayGradV3Spec.OpType, [handle, flowIn], name, null, [new("source", Attr.String(source))]);
        return (op[0], op[1]);
    }

    /// <summary>A raw <c>TensorArrayGradWithShape</c> node: <see cref="TensorArrayGradV3"/> with <paramref name="shapeToPrepend"/> before every element shape.</summary>
    public (Output Handle, Output Flow) TensorArrayGradWithShape(Output handle, Output flowIn, Output shapeToPrepend, string source, string? name = null)
    {
        var op = AddOp(TensorArrayGradWithShapeSpec.OpType, [handle, flowIn, shapeToPrepend], name, null, [new("source", Attr.String(source))]);
        return (op[0], op[1]);
    }
}
