using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// TensorArrayWriteV3: stores <c>value</c> at <c>index</c> and forwards <c>flow_in</c>. A forward
/// array takes one write per index (and none after a read); a gradient array sums the writes.
/// </summary>
internal sealed class TensorArrayWriteV3Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type")];

    public const string OpType = "TensorArrayWriteV3";

    public override string Type => OpType;

    protected override string[] InputArgs => ["handle: resource", "index: int32", "value: T", "flow_in: float"];

    protected override string[] OutputArgs => ["flow_out: float"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        TensorArrayInference.CheckInputs(c, this, 1, 3);
        if (TensorArrayInference.ElementShape(c.Inputs[0]) is { } elem && !elem.IsCompatibleWith(c.InputShape(2)))
            throw c.Error($"The value's shape {c.InputShape(2)} is incompatible with the TensorArray's element shape {elem}");
        c.AddOutput(DType.Float32, Shape.Scalar);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new WriteKernel();

    private sealed class WriteKernel : OpKernel
    {
        public override OutputKind GetOutputKind(int output) => OutputKind.Forwarded;

        public override int ForwardedInput(int output) => 3;

        public override void Compute(OpContext ctx)
        {
            int index = TensorArrayResource.Index(ctx.Input(1));
            var ta = TensorArrayResource.From(ctx);
            var value = ctx.Input(2);
            ta.RequireWriteDType(value);
            ta.Write(index, ctx.CopyToKeep(value));
            ctx.SetOutput(0, ctx.Input(3));
        }
    }

    /// <summary>
    /// TF 1.15's <c>_TensorArrayWriteGrad</c>: the value's gradient is what the gradient array of
    /// this gradient computation holds at the index (zeros if nothing was written there); the
    /// flow's gradient passes through.
    /// </summary>
    public override Output?[] Gradient(GradContext c)
    {
        var flow = c.Grad;
        var g = TensorArray.FromHandle(c.Input(0), flow, c.Op.GetAttrType("T")).Grad(TensorArrayInference.GradSource(flow), flow);
        return [null, null, g.Read(c.Input(1)), flow];
    }
}

public sealed partial class Graph
{
    /// <summary>A raw <c>TensorArrayWriteV3</c> node; returns the flow out (see <see cref="TensorArray.Write(Output, Output, string?)"/>).</summary>
    public Output TensorArrayWriteV3(Output handle, Output index, Output value, Output flowIn, string? name = null) =>
        AddOp(TensorArrayWriteV3Spec.OpType, [handle, index, value, flowIn], name, null, [new("T", Attr.Type(value.DType))])[0];
}
