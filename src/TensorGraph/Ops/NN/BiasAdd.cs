using System.Numerics;
using System.Numerics.Tensors;
using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>BiasAdd: value + bias along the last (channel) dimension (NHWC).</summary>
internal sealed class BiasAddSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type"), new("data_format", "string", Attr.String("NHWC"))];

    public const string OpType = "BiasAdd";

    public override string Type => OpType;

    public override FusionRole Fusion => FusionRole.BiasAdd;

    protected override string[] InputArgs => ["value: T", "bias: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireSameType(0, 1);
        c.RequireType(0, TypeSets.Real);
        if (c.Attr("data_format").S.ToStringUtf8() != "NHWC") throw new UnimplementedException("BiasAdd supports data_format NHWC only");
        var v = c.InputShape(0);
        var b = c.InputShape(1);
        if (v.IsRankKnown && v.Rank < 2) throw c.Error($"Shape must be at least rank 2 but is rank {v.Rank} for value {v}");
        if (b.IsRankKnown && b.Rank != 1) throw c.Error($"Shape must be rank 1 but is rank {b.Rank} for bias {b}");
        if (v.IsRankKnown && b.IsRankKnown && v[-1] >= 0 && b[0] >= 0 && v[-1] != b[0])
            throw c.Error($"Dimensions must be equal, but are {v[-1]} and {b[0]} for BiasAdd with input shapes: {v}, {b}");
        var shape = v;
        if (v.IsRankKnown && v[-1] < 0 && b.IsRankKnown && b[0] >= 0)
        {
            var d = v.ToArray();
            d[^1] = b[0];
            shape = Shape.Wrap(d);
        }
        c.AddOutput(c.InputType(0), shape);
    }

    /// <summary>TF 1.15's <c>_BiasAddGrad</c>: the gradient passes to value; bias gets BiasAddGrad(grad).</summary>
    public override Output?[] Gradient(GradContext c) => [c.Grad, c.Graph.BiasAddGrad(c.Grad)];

    public override OpKernel CreateKernel(KernelBuilder b) => b.InputType(0) switch
    {
        DType.Float32 => new BiasAddKernel<float>(),
        DType.Float64 => new BiasAddKernel<double>(),
        DType.Int32 => new BiasAddKernel<int>(),
        DType.Int64 => new BiasAddKernel<long>(),
        var t => throw new UnimplementedException($"BiasAdd has no kernel for {t.Name()}"),
    };

    private sealed class BiasAddKernel<T> : OpKernel where T : INumber<T>
    {
        public override void Compute(OpContext ctx)
        {
            var v = ctx.Input(0);
            var bias = ctx.Input(1);
            if (v.Rank < 2 || bias.Rank != 1 || v.Dims[^1] != bias.Size)
                throw new InvalidArgumentException($"Must provide as many biases as the last dimension of the input tensor: {Shape.Format(bias.Dims)} vs. {Shape.Format(v.Dims)}");
            var o = ctx.AllocateOutput(0, v.DType, v.Dims);
            var x = v.Span<T>();
            var bs = bias.Span<T>();
            var d = o.Span<T>();
            int n = bs.Length;
            if (n == 0) return;
            for (int off = 0; off < d.Length; off += n) TensorPrimitives.Add(x.Slice(off, n), bs, d.Slice(off, n));
        }
    }
}

/// <summary>BiasAddGrad: sums out_backprop over every dimension but the last.</summary>
internal sealed class BiasAddGradSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type"), new("data_format", "string", Attr.String("NHWC"))];

    public const string OpType = "BiasAddGrad";

    public override string Type => OpType;

    protected override string[] InputArgs => ["out_backprop: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, TypeSets.Real);
        var s = c.InputShape(0);
        if (s.IsRankKnown && s.Rank < 2) throw c.Error($"Shape must be at least rank 2 but is rank {s.Rank}");
        c.AddOutput(c.InputType(0), new Shape(s.IsRankKnown ? s[-1] : -1));
    }

    /// <summary>TF 1.15's <c>_BiasAddGradGrad</c>: tile the bias gradient back over the leading dims.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var shape = g.ShapeOf(c.X);
        var biasShape = g.ShapeOf(c.Grad);
        var leading = shape[..^1];
        var expandedShape = g.Concat([g.OnesLike(leading), biasShape], 0);
        var tileMults = g.Concat([leading, g.Constant(new[] { 1 })], 0);
        return [g.Tile(g.Reshape(c.Grad, expandedShape), tileMults)];
    }

    public override OpKernel CreateKernel(KernelBuilder b) => b.InputType(0) switch
    {
        DType.Float32 => new Kernel<float>(),
        DType.Float64 => new Kernel<double>(),
        DType.Int32 => new Kernel<int>(),
        DType.Int64 => new Kernel<long>(),
        var t => throw new UnimplementedException($"BiasAddGrad has no kernel for {t.Name()}"),
    };

    private sealed class Kernel<T> : OpKernel where T : INumber<T>
    {
        public override void Compute(OpContext ctx)
        {
            var g = ctx.Input(0);
            if (g.Rank < 2) throw new InvalidArgumentException($"Input tensor must be at least rank 2: {Shape.Format(g.Dims)}");
            int n = g.Dims[^1];
            Span<int> od = [n];
            var o = ctx.AllocateOutput(0, g.DType, od);
            var d = o.Span<T>();
            d.Clear();
            var x = g.Span<T>();
            if (n == 0) return;
            for (int off = 0; off < x.Length; off += n) TensorPrimitives.Add(d, x.Slice(off, n), d);
        }
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.nn.bias_add</c>: adds a 1-D bias to the last dimension.</summary>
    public Output BiasAdd(Output value, Output bias, string? name = null) =>
        AddOp(BiasAddSpec.OpType, [value, bias], name, BiasAddSpec.OpType, [NamedAttr("T", Attr.Type(value.DType)), NamedAttr("data_format", Attr.String("NHWC"))])[0];

    /// <summary>A <c>BiasAddGrad</c> node: the bias gradient of BiasAdd.</summary>
    public Output BiasAddGrad(Output outBackprop, string? name = null) =>
        AddOp(BiasAddGradSpec.OpType, [outBackprop], name, BiasAddGradSpec.OpType, [NamedAttr("T", Attr.Type(outBackprop.DType)), NamedAttr("data_format", Attr.String("NHWC"))])[0];
}
