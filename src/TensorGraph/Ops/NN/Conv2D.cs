using System.Numerics;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Proto;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// Conv2D: 2-D convolution of an NHWC input [N, H, W, C] with an HWIO filter [KH, KW, C, OC],
/// computed as im2col followed by a GEMM. SAME, VALID and EXPLICIT padding, strides and dilations.
/// </summary>
internal sealed class Conv2DSpec : OpSpec
{
    /// <summary>Attrs shared by Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter (TF 1.15 defaults).</summary>
    internal static readonly IReadOnlyList<AttrSpec> ConvAttrList =
    [
        new("T", "type"),
        new("strides", "list(int)"),
        new("use_cudnn_on_gpu", "bool", Attr.Bool(true)),
        new("padding", "string"),
        new("explicit_paddings", "list(int)", Attr.Ints([])),
        new("data_format", "string", Attr.String("NHWC")),
        new("dilations", "list(int)", Attr.Ints([1, 1, 1, 1])),
    ];

    /// <summary>The attrs (other than T) a convolution gradient copies from the forward op.</summary>
    internal static readonly string[] CopiedAttrs = ["strides", "use_cudnn_on_gpu", "padding", "explicit_paddings", "data_format", "dilations"];

    public override string Type => "Conv2D";

    protected override string[] InputArgs => ["input: T", "filter: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => ConvAttrList;

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
        private T[]? _col;
        private readonly GemmScratch _gemm = new();

        public override void Compute(OpContext ctx)
        {
            var input = ctx.Input(0);
            var filter = ctx.Input(1);
            var g = ConvCommon.Geometry(a, input.Dims, filter.Dims, "Conv2D");
            Span<int> od = [g.N, g.OH, g.OW, g.OC];
            var o = ctx.AllocateOutput(0, input.DType, od);
            Im2Col.Forward(input.Span<T>(), filter.Span<T>(), o.Span<T>(), g, ref _col, _gemm);
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
        AddOp("Conv2D", [input, filter], name, "Conv2D", ConvAttrs(input.DType, strides, padding, dilations, dataFormat, explicitPaddings))[0];

    /// <summary>
    /// TF's <c>tf.nn.conv2d_backprop_input</c>: the gradient of Conv2D with respect to its input,
    /// whose shape is the int32 vector <paramref name="inputSizes"/>.
    /// </summary>
    public Output Conv2DBackpropInput(Output inputSizes, Output filter, Output outBackprop, int[] strides, string padding,
        int[]? dilations = null, string? name = null, string dataFormat = "NHWC", int[]? explicitPaddings = null) =>
        AddOp("Conv2DBackpropInput", [inputSizes, filter, outBackprop], name, "Conv2DBackpropInput",
            ConvAttrs(filter.DType, strides, padding, dilations, dataFormat, explicitPaddings))[0];

    /// <summary>
    /// TF's <c>tf.nn.conv2d_backprop_filter</c>: the gradient of Conv2D with respect to its filter,
    /// whose shape is the int32 vector <paramref name="filterSizes"/>.
    /// </summary>
    public Output Conv2DBackpropFilter(Output input, Output filterSizes, Output outBackprop, int[] strides, string padding,
        int[]? dilations = null, string? name = null, string dataFormat = "NHWC", int[]? explicitPaddings = null) =>
        AddOp("Conv2DBackpropFilter", [input, filterSizes, outBackprop], name, "Conv2DBackpropFilter",
            ConvAttrs(input.DType, strides, padding, dilations, dataFormat, explicitPaddings))[0];

    private static KeyValuePair<string, AttrValue>[] ConvAttrs(DType t, int[] strides, string padding, int[]? dilations, string dataFormat, int[]? explicitPaddings)
    {
        ArgumentNullException.ThrowIfNull(strides);
        ArgumentNullException.ThrowIfNull(padding);
        return
        [
            NamedAttr("T", Attr.Type(t)),
            NamedAttr("strides", ConvCommon.Ints(strides)),
            NamedAttr("padding", Attr.String(padding)),
            NamedAttr("explicit_paddings", ConvCommon.Ints(explicitPaddings ?? [])),
            NamedAttr("data_format", Attr.String(dataFormat)),
            NamedAttr("dilations", ConvCommon.Ints(dilations ?? [1, 1, 1, 1])),
        ];
    }

    /// <summary>Adds a convolution op whose attrs (other than T) are copied from <paramref name="like"/> (used by gradients).</summary>
    internal Output ConvLike(string type, Output[] inputs, Operation like, DType t)
    {
        var attrs = new List<KeyValuePair<string, AttrValue>> { NamedAttr("T", Attr.Type(t)) };
        foreach (var n in Conv2DSpec.CopiedAttrs) attrs.Add(NamedAttr(n, like.GetAttr(n).Clone()));
        return AddOp(type, inputs, null, type, attrs)[0];
    }
}
