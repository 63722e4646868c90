using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>TensorArrayScatterV3: writes row i of <c>value</c> at <c>indices[i]</c> and forwards <c>flow_in</c>.</summary>
internal sealed class TensorArrayScatterV3Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type")];

    public const string OpType = "TensorArrayScatterV3";

    public override string Type => OpType;

    protected override string[] InputArgs => ["handle: resource", "indices: int32", "value: T", "flow_in: float"];

    protected override string[] OutputArgs => ["flow_out: float"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        TensorArrayInference.CheckInputs(c, this, 3);
        TensorArrayInference.RequireRank(c, 1, 1);
        var value = c.InputShape(2);
        if (value.IsRankKnown && value.Rank == 0) throw c.Error($"Shape must be at least rank 1 but is rank 0 for '{c.Inputs[2].Name}'");
        if (value.IsRankKnown && c.InputShape(1).IsRankKnown && value[0] >= 0 && c.InputShape(1)[0] >= 0 && value[0] != c.InputShape(1)[0])
            throw c.Error($"The value has {value[0]} rows but there are {c.InputShape(1)[0]} indices");
        if (value.IsRankKnown && TensorArrayInference.ElementShape(c.Inputs[0]) is { } elem && !elem.IsCompatibleWith(new Shape(value.ToArray()[1..])))
            throw c.Error($"The value's rows have shape {new Shape(value.ToArray()[1..])}, incompatible with the TensorArray's element shape {elem}");
        c.AddOutput(DType.Float32, Shape.Scalar);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new ScatterKernel();

    private sealed class ScatterKernel : OpKernel
    {
        public override OutputKind GetOutputKind(int output) => OutputKind.Forwarded;

        public override int ForwardedInput(int output) => 3;

        public override void Compute(OpContext ctx)
        {
            var ta = TensorArrayResource.From(ctx);
            var value = ctx.Input(2);
            ta.RequireWriteDType(value);
            if (value.Rank == 0)
                throw OpContext.Error($"Input value for unpack must be at least a vector but received shape: {Shape.Format(value.Dims)}");
            var indices = TensorArrayResource.Indices(ctx.Input(1));
            int rows = value.Dims[0];
            if (indices.Length != rows)
                throw OpContext.Error($"Expected len(indices) == values.shape[0], but saw: {indices.Length} vs. {rows}");
            int size = ta.Size();
            int maxIndex = indices.Length == 0 ? -1 : indices.Max();
            if (ta.HasDynamicSize && size < maxIndex + 1) size = maxIndex + 1;
            if (maxIndex >= size) throw OpContext.Error($"Max scatter index must be < array size ({maxIndex} vs. {size})");
            var elemDims = value.Dims[1..].ToArray();
            long rowElements = TensorSize.Elements(elemDims);
            var parts = new Tensor[rows];
            for (int i = 0; i < rows; i++) parts[i] = TensorArrayResource.Rows(ctx, value, i, elemDims, rowElements);
            ta.WriteMany(indices, parts);
            ctx.SetOutput(0, ctx.Input(3));
        }
    }

    /// <summary>TF 1.15's <c>_TensorArrayScatterGrad</c>: gathers the gradient array at the same indices; the flow's gradient passes through.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var flow = c.Grad;
        var g = TensorArray.FromHandle(c.Input(0), flow, c.Op.GetAttrType("T")).Grad(TensorArrayInference.GradSource(flow), flow);
        return [null, null, g.Gather(c.Input(1)), flow];
    }
}

public sealed partial class Graph
{
    /// <summary>A raw <c>TensorArrayScatterV3</c> node; returns the flow out (see <see cref="TensorArray.Scatter"/>).</summary>
    public Output TensorArrayScatterV3(Output handle, Output indices, Output value, Output flowIn, string? name = null) =>
        AddOp(TensorArrayScatterV3Spec.OpType, [handle, indices, value, flowIn], name, null, [new("T", Attr.Type(value.DType))])[0];
}
