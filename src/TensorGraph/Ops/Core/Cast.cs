using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>Cast: converts element types (attrs SrcT, DstT, Truncate). Float → int truncates toward zero; bool ↔ number maps to 0/1.</summary>
internal sealed class CastSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("SrcT", "type"), new("DstT", "type"), new("Truncate", "bool", Attr.Bool(false))];

    public const string OpType = "Cast";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_CastGrad</c>: a cast back between floating types, else no gradient.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var src = c.X.DType;
        var dst = c.Out().DType;
        return src.IsFloating() && dst.IsFloating() ? [c.Graph.Cast(c.Grad, src)] : [null];
    }

    protected override string[] InputArgs => ["x: SrcT"];

    protected override string[] OutputArgs => ["y: DstT"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        if (c.AttrType("SrcT") != c.InputType(0)) throw c.Error($"SrcT {c.AttrType("SrcT").Name()} does not match the input dtype {c.InputType(0).Name()}");
        var dst = c.AttrType("DstT");
        if ((c.InputType(0) == DType.String) != (dst == DType.String)) throw c.Error($"Cast from {c.InputType(0).Name()} to {dst.Name()} is not supported");
        c.AddOutput(dst, c.InputShape(0));
    }

    public override OpKernel CreateKernel(KernelBuilder b) =>
        new CastKernel(b.InputType(0), b.OutputType(0), b.Op.HasAttr("Truncate") && b.Op.GetAttrBool("Truncate"));

    private sealed class CastKernel(DType src, DType dst, bool truncate) : OpKernel
    {
        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            var o = ctx.AllocateOutput(0, dst, x.Dims);
            if (src != dst && (!Tensor.IsCastable(src) || !Tensor.IsCastable(dst)))
                throw new UnimplementedException($"Cast from {src.Name()} to {dst.Name()} is not supported");
            Tensor.CastInto(x, o, truncate);
        }
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.cast</c>: a <c>Cast</c> node, or <paramref name="x"/> itself when the dtype already matches.</summary>
    public Output Cast(Output x, DType dtype, string? name = null) => Cast(x, dtype, truncate: false, name);

    /// <summary>
    /// A <c>Cast</c> node with TF's <c>Truncate</c> attr: when true, a narrowing float cast
    /// (float64 → float32) cuts the mantissa toward zero instead of rounding to nearest even.
    /// Returns <paramref name="x"/> itself when the dtype already matches.
    /// </summary>
    public Output Cast(Output x, DType dtype, bool truncate, string? name = null)
    {
        if (x.DType == dtype) return x;
        return AddOp(CastSpec.OpType, [x], name, CastSpec.OpType, [NamedAttr("SrcT", Attr.Type(x.DType)), NamedAttr("DstT", Attr.Type(dtype)), NamedAttr("Truncate", Attr.Bool(truncate))])[0];
    }
}
