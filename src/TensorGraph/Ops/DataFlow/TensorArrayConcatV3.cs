using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// TensorArrayConcatV3: all elements (each at least a vector) concatenated along axis 0, and the
/// int64 length of each. A gradient array takes as many elements as its forward array's last
/// split or unstack wrote.
/// </summary>
internal sealed class TensorArrayConcatV3Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("dtype", "type"), new("element_shape_except0", "shape", Attr.Shape(Shape.Unknown))];

    public const string OpType = "TensorArrayConcatV3";

    public override string Type => OpType;

    protected override string[] InputArgs => ["handle: resource", "flow_in: float"];

    protected override string[] OutputArgs => ["value: dtype", "lengths: int64"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    /// <summary>TF's shape function: the value's shape is unknown, the lengths a vector.</summary>
    public override void Infer(InferContext c)
    {
        TensorArrayInference.CheckInputs(c, this, 1);
        c.AddOutput(c.AttrType("dtype"), Shape.Unknown);
        c.AddOutput(DType.Int64, Shape.UnknownOfRank(1));
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var dtype = b.OutputType(0);
        var except0 = b.Op.GetAttrShape("element_shape_except0");
        return new LambdaKernel(ctx =>
        {
            var ta = TensorArrayResource.From(ctx);
            ta.RequireDType(dtype);
            int size = ta.PackOrConcatSize();
            if (size <= 0)
            {
                if (!except0.IsFullyDefined)
                    throw new UnimplementedException($"TensorArray has size zero, but element_shape_except0 {except0} is not fully defined. " +
                        "Currently only static shapes are supported when concatenating zero-size TensorArrays.");
                ctx.AllocateOutput(0, dtype, [0, .. except0.ToArray()]);
                ctx.AllocateOutput(1, DType.Int64, [0]);
                return;
            }
            var values = ta.ReadMany(Enumerable.Range(0, size).ToArray());
            var lengths = ctx.AllocateOutput(1, DType.Int64, [size]).Span<long>();
            int[]? rest = null;
            long total = 0;
            for (int i = 0; i < values.Length; i++)
            {
                var d = values[i].Dims;
                if (d.Length == 0) throw OpContext.Error($"Concat saw a scalar shape at index {i} but requires at least vectors.  Did you mean to call pack?");
                lengths[i] = d[0];
                total += d[0];
                if (rest is null)
                {
                    rest = d[1..].ToArray();
                    if (!except0.IsCompatibleWith(rest))
                        throw OpContext.Error($"TensorArray was passed element_shape_except0 {except0} but index 0 has (excepting dimension 0) shape: {Shape.Format(rest)} which does not match.");
                }
                else if (!d[1..].SequenceEqual(rest))
                    throw OpContext.Error($"TensorArray has inconsistent shapes.  Index 0 has (excepting dimension 0) shape: {Shape.Format(rest)} but index {i} has (excepting dimension 0) shape: {Shape.Format(d[1..])}");
            }
            var output = ctx.AllocateOutput(0, dtype, [TensorSize.Dimension(total, "the concatenated length"), .. rest!]);
            TensorArrayResource.Concatenate(values, output);
        });
    }

    /// <summary>TF 1.15's <c>_TensorArrayConcatGrad</c>: splits the gradient into the gradient array by the forward lengths.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var flow = c.Input(1);
        var g = TensorArray.FromHandle(c.Input(0), flow, c.Op.GetAttrType("dtype")).Grad(TensorArrayInference.GradSource(c.Grad), flow);
        return [null, g.Split(c.Grad, c.Out(1)).Flow];
    }
}

public sealed partial class Graph
{
    /// <summary>A raw <c>TensorArrayConcatV3</c> node; returns (value, lengths) (see <see cref="TensorArray.Concat"/>).</summary>
    public (Output Value, Output Lengths) TensorArrayConcatV3(Output handle, Output flowIn, DType dtype, Shape? elementShapeExcept0 = null, string? name = null)
    {
        var op = AddOp(TensorArrayConcatV3Spec.OpType, [handle, flowIn], name, null,
            [new("dtype", Attr.Type(dtype)), new("element_shape_except0", Attr.Shape(elementShapeExcept0 ?? Shape.Unknown))]);
        return (op[0], op[1]);
    }
}
