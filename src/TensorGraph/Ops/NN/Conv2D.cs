using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Proto;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// Conv2D: 2-D convolution of an NHWC input [N, H, W, C] with an HWIO filter [KH, KW, C, OC],
/// computed as im2col followed by a GEMM (float32 5×5 and 3×3 filters at stride 1: Winograd). SAME, VALID and EXPLICIT padding, strides and dilations.
/// </summary>
internal sealed class Conv2DSpec : OpSpec
{
    public const string OpType = "Conv2D";

    public override string Type => OpType;

    protected override string[] InputArgs => ["input: T", "filter: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => ConvCommon.ConvAttrList;

    public override FusionRole Fusion => FusionRole.Conv2D;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, TypeSets.Float);
        c.RequireSameType(0, 1);
        var a = ConvCommon.ConvAttrs(c.Attrs, Type);
        var input = c.InputShape(0);
        var filter = c.InputShape(1);
        if (input.IsRankKnown && input.Rank != 4) throw c.Error($"Shape must be rank 4 but is rank {input.Rank} for input {input}");
        if (filter.IsRankKnown && filter.Rank != 4) throw c.Error($"Shape must be rank 4 but is rank {filter.Rank} for filter {filter}");
        int depth = ConvCommon.Dim(input, 3, a.Nchw);
        int fin = filter.IsRankKnown ? filter[2] : -1;
        if (depth >= 0 && fin >= 0 && depth != fin)
            throw c.Error($"Dimensions must be equal, but are {depth} and {fin}: input depth {depth} (input {input}) does not match filter in_channels {fin} (filter {filter})");
        int kh = filter.IsRankKnown ? filter[0] : -1, kw = filter.IsRankKnown ? filter[1] : -1;
        int oc = filter.IsRankKnown ? filter[3] : -1;
        var h = ConvCommon.Window(ConvCommon.Dim(input, 1, a.Nchw), kh, a.DilationH, a.StrideH, a.Padding, ConvCommon.Pad(a, 2), ConvCommon.Pad(a, 3));
        var w = ConvCommon.Window(ConvCommon.Dim(input, 2, a.Nchw), kw, a.DilationW, a.StrideW, a.Padding, ConvCommon.Pad(a, 4), ConvCommon.Pad(a, 5));
        c.AddOutput(c.InputType(0), ConvCommon.FromNhwc(ConvCommon.Dim(input, 0, a.Nchw), h.Output, w.Output, oc, a.Nchw));
    }

    /// <summary>
    /// TF 1.15's <c>_Conv2DGrad</c>: ShapeN([input, filter]) feeds the two backprop ops, which copy
    /// every attr.
    /// </summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var t = c.X.DType;
        var shapes = g.ShapeN([c.X, c.Y]);
        return
        [
            g.Conv2DBackpropInputLike(shapes[0], c.Y, c.Grad, c.Op, t),
            g.Conv2DBackpropFilterLike(c.X, shapes[1], c.Grad, c.Op, t),
        ];
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var a = ConvCommon.ConvAttrs(b.Op.AttrMap, Type);
        ConvCommon.RequireNhwc(a.Nchw, Type);
        return b.InputType(0) switch
        {
            DType.Float32 => new Conv2DKernel<float>(a),
            DType.Float64 => new Conv2DKernel<double>(a),
            var t => throw new UnimplementedException($"Conv2D has no kernel for {t.Name()}"),
        };
    }

    private sealed class Conv2DKernel<T>(ConvCommon.Attrs2D a) : OpKernel where T : unmanaged, INumber<T>
    {
        private readonly ConvParallel<T> _conv = new();
        private Winograd? _winograd;

        public override void Compute(OpContext ctx)
        {
            var input = ctx.Input(0);
            var filter = ctx.Input(1);
            var g = ConvCommon.Geometry(a, input.Dims, filter.Dims, OpType);
            Span<int> od = [g.N, g.OH, g.OW, g.OC];
            var o = ctx.AllocateOutput(0, input.DType, od);
            if (typeof(T) == typeof(float) && Winograd.Use(g))
                (_winograd ??= new Winograd()).Forward((float[])input.Data, (float[])filter.Data, (float[])o.Data, g);
            else
                _conv.Forward((T[])input.Data, (T[])filter.Data, (T[])o.Data, g);
        }
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.nn.conv2d</c>: a Conv2D node. <paramref name="input"/> is [batch, height, width,
    /// channels] (NHWC), <paramref name="filter"/> is [filter_height, filter_width, in_channels,
    /// out_channels]; <paramref name="strides"/> and <paramref name="dilations"/> have 4 entries in
    /// data_format order; <paramref name="padding"/> is "SAME", "VALID" or "EXPLICIT" (with
    /// <paramref name="explicitPaddings"/>: a (before, after) pair per dimension).
    /// </summary>
    public Output Conv2D(Output input, Output filter, int[] strides, string padding, int[]? dilations = null, string? name = null,
        string dataFormat = "NHWC", int[]? explicitPaddings = null) =>
        AddOp(Conv2DSpec.OpType, [input, filter], name, Conv2DSpec.OpType, ConvAttrs(input.DType, strides, padding, dilations, dataFormat, explicitPaddings))[0];

    /// <summary>A Conv2D node whose attrs (other than T) are copied from <paramref name="like"/> (used by gradients).</summary>
    internal Output Conv2DLike(Output input, Output filter, Operation like, DType t) => ConvLike(Conv2DSpec.OpType, [input, filter], like, t);
}
