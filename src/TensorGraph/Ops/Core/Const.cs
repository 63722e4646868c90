using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>Const: a value stored in the graph (attrs <c>value</c>, <c>dtype</c>).</summary>
internal sealed class ConstSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("value", "tensor"), new("dtype", "type")];

    public const string OpType = "Const";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => [];

    protected override string[] OutputArgs => ["output: dtype"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        var v = c.Attr("value").Tensor ?? throw c.Error("Const needs a tensor 'value'");
        var dt = c.AttrType("dtype");
        if ((int)v.Dtype != (int)dt) throw c.Error($"Const dtype attr {dt.Name()} does not match its value's dtype {v.Dtype}");
        c.AddOutput(dt, Shape.FromProto(v.TensorShape ?? new Proto.TensorShapeProto()));
    }

    // The decoded value is the graph's constant cache entry (shared with shape inference and every
    // execution state), so a large or splat value is expanded once, not once per state.
    public override OpKernel CreateKernel(KernelBuilder b) =>
        new ConstKernel(b.Op.Graph.TryConstantValue(b.Op[0]) ?? throw new InternalException("Const has no value"));

    private sealed class ConstKernel(Tensor value) : OpKernel
    {
        public override OutputKind GetOutputKind(int output) => OutputKind.External;

        public override void Compute(OpContext ctx) => ctx.SetOutput(0, value);
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// A <c>Const</c> node holding <paramref name="value"/> (any .NET scalar or array converts
    /// implicitly), optionally converted to <paramref name="dtype"/> (TF's <c>tf.constant</c>).
    /// </summary>
    public Output Constant(Tensor value, DType? dtype = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (dtype is { } d && d != value.DType) value = ConvertLiteral(value, d);
        return AddOp(ConstSpec.OpType, [], name, ConstSpec.OpType, [NamedAttr("value", Attr.Tensor(value)), NamedAttr("dtype", Attr.Type(value.DType))])[0];
    }

    /// <summary>A Const of <paramref name="value"/> reshaped to <paramref name="shape"/> (a scalar value is repeated).</summary>
    public Output Constant(Tensor value, Shape shape, DType? dtype = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(shape);
        if (!shape.IsFullyDefined) throw new InvalidArgumentException($"Constant shape must be fully defined, got {shape}");
        if (dtype is { } d && d != value.DType) value = ConvertLiteral(value, d);
        var dims = shape.ToArray();
        long n = Tensor.ShapeSize(dims);
        Tensor t;
        if (value.Size == n) t = new Tensor(value.DType, value.Clone().Data, dims, (int)n);
        else if (value.Size == 1)
        {
            t = Tensor.Zeros(value.DType, dims);
            TensorFill.FillWith(t, value);
        }
        else throw new InvalidArgumentException($"{value.Size} values cannot fill a constant of shape {shape}");
        return Constant(t, name: name);
    }
}
