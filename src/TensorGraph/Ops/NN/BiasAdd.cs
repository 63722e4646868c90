using System.Numerics;
using System.Numerics.Tensors;
using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// BiasAdd: value + bias along the channel dimension: the last one for <c>NHWC</c>, dimension 1
/// for <c>NCHW</c> (ranks 3 to 5, as TF 1.15's CPU kernel).
/// </summary>
internal sealed class BiasAddSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("T", "type"), new("data_format", "string", Attr.String("NHWC"), AllowedStrings: ["NHWC", "NCHW"])];

    public const string OpType = "BiasAdd";

    public override string Type => OpType;

    public override FusionRole Fusion => FusionRole.BiasAdd;

    protected override string[] InputArgs => ["value: T", "bias: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        var format = c.Attr("data_format").S.ToStringUtf8();
        if (format is not ("NHWC" or "NCHW")) throw c.Error($"Invalid data format '{format}': expected NHWC or NCHW");
        BiasAddCommon.Infer(c, nchw: format == "NCHW");
    }

    /// <summary>TF 1.15's <c>_BiasAddGrad</c>: the gradient passes to value; bias gets BiasAddGrad(grad) in the same data format.</summary>
    public override Output?[] Gradient(GradContext c) =>
        [c.Grad, c.Graph.BiasAddGrad(c.Grad, dataFormat: c.Op.GetAttrString("data_format"))];

    public override OpKernel CreateKernel(KernelBuilder b) => BiasAddCommon.CreateKernel(b, nchw: b.Op.GetAttrString("data_format") == "NCHW");
}

/// <summary>BiasAddGrad: sums out_backprop over every dimension but the channel one (the last for NHWC, dimension 1 for NCHW).</summary>
internal sealed class BiasAddGradSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("T", "type"), new("data_format", "string", Attr.String("NHWC"), AllowedStrings: ["NHWC", "NCHW"])];

    public const string OpType = "BiasAddGrad";

    public override string Type => OpType;

    protected override string[] InputArgs => ["out_backprop: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, TypeSets.Real);
        var format = c.Attr("data_format").S.ToStringUtf8();
        if (format is not ("NHWC" or "NCHW")) throw c.Error($"Invalid data format '{format}': expected NHWC or NCHW");
        bool nchw = format == "NCHW";
        var s = c.InputShape(0);
        int minRank = nchw ? 3 : 2;
        if (s.IsRankKnown && s.Rank < minRank) throw c.Error($"Shape must be at least rank {minRank} but is rank {s.Rank}");
        c.AddOutput(c.InputType(0), new Shape(s.IsRankKnown ? s[nchw ? 1 : -1] : -1));
    }

    /// <summary>TF 1.15's <c>_BiasAddGradGrad</c>: tile the bias gradient back over the other dims.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var shape = g.ShapeOf(c.X);
        var biasShape = g.ShapeOf(c.Grad);
        Output expandedShape, tileMults;
        if (c.Op.GetAttrString("data_format") == "NCHW")
        {
            var batch = shape[..1];
            var spatial = shape[2..];
            expandedShape = g.Concat([g.OnesLike(batch), biasShape, g.OnesLike(spatial)], 0);
            tileMults = g.Concat([batch, g.Constant(new[] { 1 }), spatial], 0);
        }
        else
        {
            var leading = shape[..^1];
            expandedShape = g.Concat([g.OnesLike(leading), biasShape], 0);
            tileMults = g.Concat([leading, g.Constant(new[] { 1 })], 0);
        }
        return [g.Tile(g.Reshape(c.Grad, expandedShape), tileMults)];
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        bool nchw = b.Op.GetAttrString("data_format") == "NCHW";
        return b.InputType(0) switch
        {
            DType.Float32 => new Kernel<float>(nchw),
            DType.Float64 => new Kernel<double>(nchw),
            DType.Int32 => new Kernel<int>(nchw),
            DType.Int64 => new Kernel<long>(nchw),
            var t => throw new UnimplementedException($"BiasAddGrad has no kernel for {t.Name()}"),
        };
    }

    private sealed class Kernel<T>(bool nchw) : OpKernel where T : INumber<T>
    {
        public override void Compute(OpContext ctx)
        {
            var g = ctx.Input(0);
            if (g.Rank < (nchw ? 3 : 2)) throw new InvalidArgumentException($"Input tensor must be at least rank {(nchw ? 3 : 2)}: {Shape.Format(g.Dims)}");
            int n = g.Dims[nchw ? 1 : ^1];
            Span<int> od = [n];
            var o = ctx.AllocateOutput(0, g.DType, od);
            var d = o.Span<T>();
            d.Clear();
            var x = g.Span<T>();
            if (n == 0 || x.Length == 0) return;
            if (!nchw)
            {
                for (int off = 0; off < x.Length; off += n) TensorPrimitives.Add(d, x.Slice(off, n), d);
                return;
            }
            int inner = x.Length / (g.Dims[0] * n);
            for (int off = 0, ch = 0; off < x.Length; off += inner, ch = ch + 1 == n ? 0 : ch + 1)
                d[ch] += TensorPrimitives.Sum<T>(x.Slice(off, inner));
        }
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.nn.bias_add(value, bias, data_format)</c>: adds a 1-D bias along the last
    /// dimension (<c>NHWC</c>, the default) or along dimension 1 (<c>NCHW</c>).
    /// </summary>
    public Output BiasAdd(Output value, Output bias, string? name = null, string dataFormat = "NHWC") =>
        AddOp(BiasAddSpec.OpType, [value, bias], name, BiasAddSpec.OpType, [NamedAttr("T", Attr.Type(value.DType)), NamedAttr("data_format", Attr.String(dataFormat))])[0];

    /// <summary>A <c>BiasAddGrad</c> node: the bias gradient of BiasAdd in the given data format (<c>NHWC</c> or <c>NCHW</c>).</summary>
    public Output BiasAddGrad(Output outBackprop, string? name = null, string dataFormat = "NHWC") =>
        AddOp(BiasAddGradSpec.OpType, [outBackprop], name, BiasAddGradSpec.OpType, [NamedAttr("T", Attr.Type(outBackprop.DType)), NamedAttr("data_format", Attr.String(dataFormat))])[0];
}
