using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>Fill: a tensor of shape <c>dims</c> filled with the scalar <c>value</c>.</summary>
internal sealed class FillSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type"), new("index_type", "type", Attr.Type(DType.Int32))];

    public const string OpType = "Fill";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_FillGrad</c>: the value gets the sum of the gradient.</summary>
    public override Output?[] Gradient(GradContext c) => [null, c.Graph.ReduceSum(c.Grad)];

    protected override string[] InputArgs => ["dims: index_type", "value: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, TypeSets.Int);
        var ds = c.InputShape(0);
        if (ds.IsRankKnown && ds.Rank != 1) throw c.Error($"dims must be a vector, got shape {ds}");
        var vs = c.InputShape(1);
        if (vs.IsRankKnown && vs.Rank != 0) throw c.Error($"value must be a scalar, not shape {vs}");
        Shape shape;
        if (c.ConstantDims(0, "dims") is { } d) shape = Shape.Wrap(d);
        else shape = ds.IsRankKnown && ds[0] >= 0 ? Shape.UnknownOfRank(ds[0]) : Shape.Unknown;
        c.AddOutput(c.InputType(1), shape);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new FillKernel();

    private sealed class FillKernel : OpKernel
    {
        public override void Compute(OpContext ctx)
        {
            var dimsT = ctx.Input(0);
            var v = ctx.Input(1);
            v.RequireScalar("value");
            Span<int> dims = stackalloc int[dimsT.ShapeVectorLength("dims")];
            dimsT.ReadDimensions(dims, "dims");
            var o = ctx.AllocateOutput(0, v.DType, dims);
            TensorFill.FillWith(o, v);
        }
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.fill</c>: a tensor of shape <paramref name="dims"/> filled with <paramref name="value"/>.</summary>
    public Output Fill(Output dims, Output value, string? name = null) =>
        AddOp(FillSpec.OpType, [dims, value], name, attrs: [NamedAttr("T", Attr.Type(value.DType)), NamedAttr("index_type", Attr.Type(dims.DType))])[0];

    /// <summary>
    /// TF's <c>tf.zeros</c>: a Const when it has fewer than 1000 elements, else Fill (so GraphDefs
    /// stay small), named <c>zeros</c>.
    /// </summary>
    public Output Zeros(Shape shape, DType dtype = DType.Float32, string? name = null) => Filled(shape, dtype, 0, name ?? "zeros");

    /// <summary>TF's <c>tf.ones</c>: like <c>Zeros</c> with ones, named <c>ones</c>.</summary>
    public Output Ones(Shape shape, DType dtype = DType.Float32, string? name = null) => Filled(shape, dtype, 1, name ?? "ones");

    /// <summary>TF's <c>tf.zeros(shape_tensor)</c>: Fill with a run-time shape.</summary>
    public Output Zeros(Output shape, DType dtype = DType.Float32, string? name = null)
    {
        using var scope = NameScope(name ?? "zeros");
        var exact = CurrentNameScope + "/";
        return Fill(shape, Constant(ScalarOf(dtype, 0), name: "Const"), exact);
    }

    internal Output Filled(Shape shape, DType dtype, double value, string name)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (!shape.IsFullyDefined) throw new InvalidArgumentException($"{name} needs a fully defined shape, got {shape}");
        var scalar = ScalarOf(dtype, value);
        if (shape.NumElements < 1000) return Constant(scalar, shape, name: name);
        using var scope = NameScope(name);
        var exact = CurrentNameScope + "/";
        var dims = Constant(shape.ToArray(), name: "shape_as_tensor");
        return Fill(dims, Constant(scalar, name: "Const"), exact);
    }

    internal static Tensor ScalarOf(DType dtype, double value)
    {
        var t = Tensor.Zeros(dtype);
        if (dtype == DType.String)
        {
            // tf.zeros uses "" as the zero of a string tensor; no other number has a string form.
            if (value != 0) throw new InvalidArgumentException($"Numeric fill value {value} for a string tensor");
            return t;
        }
        SetFromDouble(t, 0, value);
        return t;
    }
}
