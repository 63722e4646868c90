using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>Shape: the dimensions of the input as a 1-D int32/int64 tensor (attr out_type).</summary>
internal sealed class ShapeSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type"), new("out_type", "type", Attr.Type(DType.Int32))];

    public const string OpType = "Shape";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["input: T"];

    protected override string[] OutputArgs => ["output: out_type"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        var t = c.AttrType("out_type");
        if (t is not (DType.Int32 or DType.Int64)) throw c.Error($"out_type must be int32 or int64, got {t.Name()}");
        c.AddOutput(t, new Shape(c.InputShape(0).Rank));
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(ctx =>
    {
        var x = ctx.Input(0);
        Span<int> d = [x.Rank];
        var o = ctx.AllocateOutput(0, b.OutputType(0), d);
        var dims = x.Dims;
        if (o.DType == DType.Int32) dims.CopyTo(o.Span<int>());
        else for (int i = 0; i < dims.Length; i++) o.Span<long>()[i] = dims[i];
    });
}

/// <summary>Rank: the number of dimensions as an int32 scalar.</summary>
internal sealed class RankSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type")];

    public const string OpType = "Rank";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["input: T"];

    protected override string[] OutputArgs => ["output: int32"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c) => c.AddOutput(DType.Int32, Shape.Scalar);

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(ctx =>
        ctx.AllocateOutput(0, DType.Int32, []).Span<int>()[0] = ctx.Input(0).Rank);
}

/// <summary>Size: the number of elements as an int32/int64 scalar (attr out_type).</summary>
internal sealed class SizeSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type"), new("out_type", "type", Attr.Type(DType.Int32))];

    public const string OpType = "Size";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["input: T"];

    protected override string[] OutputArgs => ["output: out_type"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        var t = c.AttrType("out_type");
        if (t is not (DType.Int32 or DType.Int64)) throw c.Error($"out_type must be int32 or int64, got {t.Name()}");
        c.AddOutput(t, Shape.Scalar);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(ctx =>
    {
        var o = ctx.AllocateOutput(0, b.OutputType(0), []);
        int n = ctx.Input(0).Size;
        if (o.DType == DType.Int32) o.Span<int>()[0] = n;
        else o.Span<long>()[0] = n;
    });
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.shape</c>: a <c>Shape</c> node giving the run-time dimensions of <paramref name="x"/>.</summary>
    public Output ShapeOf(Output x, DType outType = DType.Int32, string? name = null) =>
        AddOp(ShapeSpec.OpType, [x], name, ShapeSpec.OpType, [NamedAttr("T", Attr.Type(x.DType)), NamedAttr("out_type", Attr.Type(outType))])[0];

    /// <summary>TF's <c>tf.rank</c>: a <c>Rank</c> node.</summary>
    public Output Rank(Output x, string? name = null) => Unary(RankSpec.OpType, x, name);

    /// <summary>TF's <c>tf.size</c>: a <c>Size</c> node.</summary>
    public Output Size(Output x, DType outType = DType.Int32, string? name = null) =>
        AddOp(SizeSpec.OpType, [x], name, SizeSpec.OpType, [NamedAttr("T", Attr.Type(x.DType)), NamedAttr("out_type", Attr.Type(outType))])[0];
}
