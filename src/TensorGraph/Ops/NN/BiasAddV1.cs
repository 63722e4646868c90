using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>BiasAddV1: the legacy BiasAdd without a data_format attr: value + bias along the last dimension.</summary>
internal sealed class BiasAddV1Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type")];

    public const string OpType = "BiasAddV1";

    public override string Type => OpType;

    protected override string[] InputArgs => ["value: T", "bias: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c) => BiasAddCommon.Infer(c, nchw: false);

    /// <summary>TF 1.15's <c>_BiasAddGradV1</c>: value gets the gradient, bias its sum over every dimension but the last.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var reductionDims = g.Range(g.Constant(0), g.Subtract(g.Rank(c.Grad), g.Constant(1)), g.Constant(1));
        return [c.Grad, g.Reduce(SumSpec.OpType, c.Grad, reductionDims)];
    }

    public override OpKernel CreateKernel(KernelBuilder b) => BiasAddCommon.CreateKernel(b, nchw: false);
}

public sealed partial class Graph
{
    /// <summary>The legacy <c>BiasAddV1</c> op: <paramref name="bias"/> added along the last dimension of <paramref name="value"/>.</summary>
    public Output BiasAddV1(Output value, Output bias, string? name = null) =>
        AddOp(BiasAddV1Spec.OpType, [value, bias], name, BiasAddV1Spec.OpType, [NamedAttr("T", Attr.Type(value.DType))])[0];
}
