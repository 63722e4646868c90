using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>ZerosLike: zeros with the shape and dtype of the input.</summary>
internal sealed class ZerosLikeSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type")];

    public const string OpType = "ZerosLike";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["x: T"];

    protected override string[] OutputArgs => ["y: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c) => c.AddOutput(c.InputType(0), c.InputShape(0));

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(ctx =>
    {
        var x = ctx.Input(0);
        var o = ctx.AllocateOutput(0, x.DType, x.Dims);
        if (o.DType == DType.String) o.Span<byte[]>().Fill([]);
        else Array.Clear(o.Data, 0, o.Size);
    });
}

/// <summary>OnesLike: ones with the shape and dtype of the input.</summary>
internal sealed class OnesLikeSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type")];

    public const string OpType = "OnesLike";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["x: T"];

    protected override string[] OutputArgs => ["y: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        if (c.InputType(0) == DType.String) throw c.Error("OnesLike is not defined for strings");
        c.AddOutput(c.InputType(0), c.InputShape(0));
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var one = Graph.ScalarOf(b.InputType(0), 1);
        return new LambdaKernel(ctx =>
        {
            var x = ctx.Input(0);
            TensorFill.FillWith(ctx.AllocateOutput(0, x.DType, x.Dims), one);
        });
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.zeros_like</c>: a <c>ZerosLike</c> node.</summary>
    public Output ZerosLike(Output x, string? name = null) => Unary(ZerosLikeSpec.OpType, x, name);

    /// <summary>TF's <c>tf.ones_like</c>: a <c>OnesLike</c> node.</summary>
    public Output OnesLike(Output x, string? name = null) => Unary(OnesLikeSpec.OpType, x, name);
}
