using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// Shared schema of Cumsum/Cumprod: inputs x, axis (a scalar); attrs exclusive, reverse, T, Tidx.
/// The output has x's shape.
/// </summary>
internal abstract class ScanSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
    [
        new("exclusive", "bool", Attr.Bool(false)), new("reverse", "bool", Attr.Bool(false)),
        new("T", "type"), new("Tidx", "type", Attr.Type(DType.Int32)),
    ];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override string[] InputArgs => ["x: T", "axis: Tidx"];

    protected override string[] OutputArgs => ["out: T"];

    /// <summary>The open generic reducer struct that combines neighbours.</summary>
    protected abstract Type Reducer { get; }

    public override void Infer(InferContext c)
    {
        c.RequireType(0, TypeSets.Real);
        c.RequireType(1, TypeSets.Int);
        var axisShape = c.InputShape(1);
        if (axisShape.IsRankKnown && axisShape.Rank != 0) throw c.Error($"ScanOp: axis must be a scalar, not shape {axisShape}");
        var x = c.InputShape(0);
        if (x.IsRankKnown && c.ConstantInput(1) is { } axis)
        {
            long a = axis.ScalarInt64("ScanOp: axis");
            if (a < -x.Rank || a >= x.Rank)
                throw c.Error($"ScanOp: Expected scan axis in the range [{-x.Rank}, {x.Rank}), but got {a}");
        }
        c.AddOutput(c.InputType(0), x);
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var t = b.InputType(0).ClrType();
        var k = typeof(ScanKernel<,>).MakeGenericType(t, Reducer.MakeGenericType(t));
        return (OpKernel)Activator.CreateInstance(k, b.Op.GetAttrBool("exclusive"), b.Op.GetAttrBool("reverse"))!;
    }
}

/// <summary>Cumsum: running sum along an axis (<c>tf.cumsum</c>).</summary>
internal sealed class CumsumSpec : ScanSpec
{
    public const string OpType = "Cumsum";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_CumsumGrad</c>: a cumsum of the gradient in the other direction.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        bool exclusive = c.Op.GetAttrBool("exclusive"), reverse = c.Op.GetAttrBool("reverse");
        return [c.Graph.Cumsum(c.Grad, c.Input(1), exclusive, !reverse), null];
    }

    protected override Type Reducer => typeof(SumReducer<>);
}

/// <summary>Cumprod: running product along an axis (<c>tf.cumprod</c>).</summary>
internal sealed class CumprodSpec : ScanSpec
{
    public const string OpType = "Cumprod";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_CumprodGrad</c>.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        // As in TF, this divides by x, so it is not defined where x contains zeros.
        var g = c.Graph;
        var x = c.X;
        var axis = c.Input(1);
        bool exclusive = c.Op.GetAttrBool("exclusive"), reverse = c.Op.GetAttrBool("reverse");
        var prod = g.Cumprod(x, axis, exclusive, reverse);
        var sum = g.Cumsum(prod * c.Grad, axis, exclusive, !reverse);
        return [sum / x, null];
    }

    protected override Type Reducer => typeof(ProdReducer<>);
}

/// <summary>
/// Scan kernel: views x as [outer, n, inner] around the axis and combines rows in order (or in
/// reverse); exclusive scans start from the reducer's identity and leave out the current row.
/// </summary>
internal sealed class ScanKernel<T, TR>(bool exclusive, bool reverse) : OpKernel
    where T : INumber<T> where TR : struct, IReducer<TR, T>
{
    public override void Compute(OpContext ctx)
    {
        var x = ctx.Input(0);
        var axisT = ctx.Input(1);
        int rank = x.Rank;
        long a = axisT.ScalarInt64("ScanOp: axis");
        if (a < -rank || a >= rank) throw new InvalidArgumentException($"ScanOp: Expected scan axis in the range [{-rank}, {rank}), but got {a}");
        int axis = (int)(a < 0 ? a + rank : a);
        var dims = x.Dims;
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= dims[i];
        for (int i = axis + 1; i < rank; i++) inner *= dims[i];
        int n = dims[axis];
        var o = ctx.AllocateOutput(0, x.DType, dims);
        var src = x.Span<T>();
        var dst = o.Span<T>();
        if (dst.Length == 0) return;
        int step = reverse ? -1 : 1;
        int first = reverse ? n - 1 : 0;
        for (int b = 0; b < outer; b++)
        {
            int baseOff = b * n * inner;
            int prev = -1;
            for (int k = 0, r = first; k < n; k++, r += step)
            {
                var row = dst.Slice(baseOff + r * inner, inner);
                if (exclusive)
                {
                    if (prev < 0) row.Fill(TR.Identity);
                    else
                    {
                        dst.Slice(baseOff + prev * inner, inner).CopyTo(row);
                        TR.CombineSpan(src.Slice(baseOff + prev * inner, inner), row);
                    }
                }
                else
                {
                    if (prev < 0) src.Slice(baseOff + r * inner, inner).CopyTo(row);
                    else
                    {
                        dst.Slice(baseOff + prev * inner, inner).CopyTo(row);
                        TR.CombineSpan(src.Slice(baseOff + r * inner, inner), row);
                    }
                }
                prev = r;
            }
        }
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.cumsum</c> along a constant axis (a Const <c>Cumsum/axis</c>).</summary>
    public Output Cumsum(Output x, int axis = 0, bool exclusive = false, bool reverse = false, string? name = null) =>
        ScanWithConstAxis(CumsumSpec.OpType, x, axis, exclusive, reverse, name);

    /// <summary>TF's <c>tf.cumsum</c> along a run-time scalar axis.</summary>
    public Output Cumsum(Output x, Output axis, bool exclusive = false, bool reverse = false, string? name = null) =>
        Scan(CumsumSpec.OpType, x, axis, exclusive, reverse, name);

    /// <summary>TF's <c>tf.cumprod</c> along a constant axis (a Const <c>Cumprod/axis</c>).</summary>
    public Output Cumprod(Output x, int axis = 0, bool exclusive = false, bool reverse = false, string? name = null) =>
        ScanWithConstAxis(CumprodSpec.OpType, x, axis, exclusive, reverse, name);

    /// <summary>TF's <c>tf.cumprod</c> along a run-time scalar axis.</summary>
    public Output Cumprod(Output x, Output axis, bool exclusive = false, bool reverse = false, string? name = null) =>
        Scan(CumprodSpec.OpType, x, axis, exclusive, reverse, name);

    private Output ScanWithConstAxis(string type, Output x, int axis, bool exclusive, bool reverse, string? name)
    {
        using var scope = NameScope(name ?? type);
        var exact = CurrentNameScope + "/";
        return Scan(type, x, Constant(axis, name: "axis"), exclusive, reverse, exact);
    }

    private Output Scan(string type, Output x, Output axis, bool exclusive, bool reverse, string? name) =>
        AddOp(type, [x, axis], name, type,
            [NamedAttr("exclusive", Attr.Bool(exclusive)), NamedAttr("reverse", Attr.Bool(reverse)), NamedAttr("T", Attr.Type(x.DType)), NamedAttr("Tidx", Attr.Type(axis.DType))])[0];
}
