using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// TensorArrayGatherV3: the elements at <c>indices</c> stacked along a new axis 0 (each is read,
/// so <c>clear_after_read</c> applies). All must have one shape; with no indices the
/// <c>element_shape</c> attr must be fully defined.
/// </summary>
internal sealed class TensorArrayGatherV3Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("dtype", "type"), new("element_shape", "shape", Attr.Shape(Shape.Unknown))];

    public const string OpType = "TensorArrayGatherV3";

    public override string Type => OpType;

    protected override string[] InputArgs => ["handle: resource", "indices: int32", "flow_in: float"];

    protected override string[] OutputArgs => ["value: dtype"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        TensorArrayInference.CheckInputs(c, this, 2);
        TensorArrayInference.RequireRank(c, 1, 1);
        var indices = c.InputShape(1).IsRankKnown ? c.InputShape(1) : Shape.UnknownOfRank(1);
        var elem = TensorArrayInference.ElementShape(c.Inputs[0]) ?? c.AttrShape("element_shape");
        c.AddOutput(c.AttrType("dtype"), TensorArrayInference.Concatenate(indices, elem));
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var dtype = b.OutputType(0);
        var elementShape = b.Op.GetAttrShape("element_shape");
        return new LambdaKernel(ctx =>
        {
            var ta = TensorArrayResource.From(ctx);
            ta.RequireDType(dtype);
            ta.MergeElementShape(elementShape);
            var indices = TensorArrayResource.Indices(ctx.Input(1));
            if (indices.Length == 0)
            {
                if (!elementShape.IsFullyDefined)
                    throw new UnimplementedException($"TensorArray has size zero, but element shape {elementShape} is not fully defined. " +
                        "Currently only static shapes are supported when packing zero-size TensorArrays.");
                ctx.AllocateOutput(0, dtype, [0, .. elementShape.ToArray()]);
                return;
            }
            var values = ta.ReadMany(indices);
            var first = values[0].Dims;
            if (!elementShape.IsCompatibleWith(first))
                throw OpContext.Error($"TensorArray was passed element_shape {elementShape} which does not match the Tensor at index 0: {Shape.Format(first)}");
            for (int i = 1; i < values.Length; i++)
            {
                if (!values[i].Dims.SequenceEqual(first))
                    throw OpContext.Error($"TensorArray has inconsistent shapes.  Index 0 has shape: {Shape.Format(first)} but index {i} has shape: {Shape.Format(values[i].Dims)}");
            }
            var output = ctx.AllocateOutput(0, dtype, [values.Length, .. first]);
            TensorArrayResource.Concatenate(values, output);
        });
    }

    /// <summary>TF 1.15's <c>_TensorArrayGatherGrad</c>: scatters the gradient into the gradient array at the same indices.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var flow = c.Input(2);
        var g = TensorArray.FromHandle(c.Input(0), flow, c.Op.GetAttrType("dtype")).Grad(TensorArrayInference.GradSource(c.Grad), flow);
        return [null, null, g.Scatter(c.Input(1), c.Grad).Flow];
    }
}

public sealed partial class Graph
{
    /// <summary>A raw <c>TensorArrayGatherV3</c> node (see <see cref="TensorArray.Gather"/>).</summary>
    public Output TensorArrayGatherV3(Output handle, Output indices, Output flowIn, DType dtype, Shape? elementShape = null, string? name = null) =>
        AddOp(TensorArrayGatherV3Spec.OpType, [handle, indices, flowIn], name, null,
            [new("dtype", Attr.Type(dtype)), new("element_shape", Attr.Shape(elementShape ?? Shape.Unknown))])[0];
}
