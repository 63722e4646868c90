using TensorGraph.Ops;
using TensorGraph.Proto;

namespace TensorGraph;

/// <summary>TF's <c>Padding</c> enum for windowed ops.</summary>
internal enum PaddingKind
{
    Valid,
    Same,
    Explicit,
}

/// <summary>
/// One spatial dimension of a windowed op (TF's GetWindowedOutputSizeVerboseV2): output size and
/// the padding added before the first element.
/// </summary>
internal readonly record struct WindowDim(int Output, int PadBefore);

/// <summary>Attr validation and output-size rules shared by convolution and pooling ops.</summary>
internal static class ConvCommon
{
    /// <summary>Attrs shared by Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter (TF 1.15 defaults).</summary>
    public static readonly IReadOnlyList<AttrSpec> ConvAttrList =
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
    public static readonly string[] CopiedAttrs = ["strides", "use_cudnn_on_gpu", "padding", "explicit_paddings", "data_format", "dilations"];

    public static readonly string[] ConvPaddings = ["SAME", "VALID", "EXPLICIT"];
    public static readonly string[] PoolPaddings = ["SAME", "VALID"];

    /// <summary>Parses a padding attr, rejecting values outside <paramref name="allowed"/>.</summary>
    public static PaddingKind ParsePadding(string value, string[] allowed)
    {
        if (Array.IndexOf(allowed, value) < 0)
            throw new InvalidArgumentException($"Value for attr 'padding' of \"{value}\" is not in the list of allowed values: {string.Join(", ", allowed.Select(a => $"\"{a}\""))}");
        return value switch
        {
            "SAME" => PaddingKind.Same,
            "VALID" => PaddingKind.Valid,
            _ => PaddingKind.Explicit,
        };
    }

    /// <summary>Parses data_format; both NHWC and NCHW are accepted at build time.</summary>
    public static bool IsNchw(string value, string op) => value switch
    {
        "NHWC" => false,
        "NCHW" => true,
        _ => throw new InvalidArgumentException($"Value for attr 'data_format' of \"{value}\" is not in the list of allowed values for {op}: \"NHWC\", \"NCHW\""),
    };

    /// <summary>Reads a list(int) attr of exactly 4 values as ints.</summary>
    public static int[] Four(IDictionary<string, Proto.AttrValue> attrs, string name, string op)
    {
        var list = attrs.TryGetValue(name, out var v) ? v.List?.I : null;
        int n = list?.Count ?? 0;
        if (n != 4)
            throw new InvalidArgumentException($"{op} requires the {name} attribute to contain 4 values, but got: {n}");
        var r = new int[4];
        for (int i = 0; i < 4; i++) r[i] = checked((int)list![i]);
        return r;
    }

    /// <summary>
    /// Validated geometry attrs of a 2-D windowed op: strides, dilations (or window sizes for pools)
    /// in NHWC order, padding, and whether the graph asked for NCHW.
    /// </summary>
    public sealed record Attrs2D(int[] Strides, int[] Dilations, PaddingKind Padding, int[] ExplicitPaddings, bool Nchw)
    {
        public int StrideH => Strides[1];
        public int StrideW => Strides[2];
        public int DilationH => Dilations[1];
        public int DilationW => Dilations[2];
    }

    /// <summary>Reads and validates the attrs shared by Conv2D and its two backprop ops.</summary>
    public static Attrs2D ConvAttrs(IDictionary<string, Proto.AttrValue> attrs, string op)
    {
        bool nchw = IsNchw(attrs["data_format"].S.ToStringUtf8(), op);
        var strides = ToNhwc(Four(attrs, "strides", op), nchw);
        var dilations = ToNhwc(Four(attrs, "dilations", op), nchw);
        if (strides[0] != 1 || strides[3] != 1)
            throw new InvalidArgumentException($"{op}: current implementation does not yet support strides in the batch and depth dimensions (strides {Fmt(strides)})");
        if (strides[1] < 1 || strides[2] < 1)
            throw new InvalidArgumentException($"{op}: strides must be positive, got {Fmt(strides)}");
        if (dilations[0] != 1 || dilations[3] != 1)
            throw new InvalidArgumentException($"{op}: current implementation does not support dilations in the batch and depth dimensions (dilations {Fmt(dilations)})");
        if (dilations[1] < 1 || dilations[2] < 1)
            throw new InvalidArgumentException($"{op}: dilation rates must be positive, got {Fmt(dilations)}");
        var padding = ParsePadding(attrs["padding"].S.ToStringUtf8(), ConvPaddings);
        var ep = attrs.TryGetValue("explicit_paddings", out var e) && e.List is not null ? e.List.I.Select(x => checked((int)x)).ToArray() : [];
        if (padding == PaddingKind.Explicit)
        {
            if (ep.Length != 8)
                throw new InvalidArgumentException($"{op}: explicit_paddings attribute must contain 8 values when padding is EXPLICIT, but got: {ep.Length}");
            if (ep.Any(p => p < 0))
                throw new InvalidArgumentException($"{op}: all elements of explicit_paddings must be nonnegative, got {Fmt(ep)}");
            if (nchw) ep = [ep[0], ep[1], ep[4], ep[5], ep[6], ep[7], ep[2], ep[3]];
            if (ep[0] != 0 || ep[1] != 0 || ep[6] != 0 || ep[7] != 0)
                throw new InvalidArgumentException($"{op}: nonzero explicit padding in the batch or depth dimensions is not supported");
        }
        else if (ep.Length != 0)
        {
            throw new InvalidArgumentException($"{op}: explicit_paddings attribute must be empty if the padding attribute is not EXPLICIT, got {Fmt(ep)}");
        }
        return new Attrs2D(strides, dilations, padding, ep, nchw);
    }

    /// <summary>Reads and validates pooling attrs; ksize and strides are returned in NHWC order.</summary>
    public static (int[] Ksize, int[] Strides, PaddingKind Padding, bool Nchw) PoolAttrs(IDictionary<string, Proto.AttrValue> attrs, string op)
    {
        bool nchw = IsNchw(attrs["data_format"].S.ToStringUtf8(), op);
        var ksize = ToNhwc(Four(attrs, "ksize", op), nchw);
        var strides = ToNhwc(Four(attrs, "strides", op), nchw);
        if (ksize[0] != 1 || strides[0] != 1)
            throw new InvalidArgumentException($"{op}: pooling is not yet supported on the batch dimension (ksize {Fmt(ksize)}, strides {Fmt(strides)})");
        if (ksize[3] != 1 || strides[3] != 1)
            throw new UnimplementedException($"{op}: pooling over the depth dimension is not supported (ksize {Fmt(ksize)}, strides {Fmt(strides)})");
        if (ksize[1] < 1 || ksize[2] < 1)
            throw new InvalidArgumentException($"{op}: sliding window ksize must be positive, got {Fmt(ksize)}");
        if (strides[1] < 1 || strides[2] < 1)
            throw new InvalidArgumentException($"{op}: sliding window strides must be positive, got {Fmt(strides)}");
        return (ksize, strides, ParsePadding(attrs["padding"].S.ToStringUtf8(), PoolPaddings), nchw);
    }

    /// <summary>Reorders a 4-vector given in <c>data_format</c> order to NHWC order.</summary>
    public static int[] ToNhwc(int[] v, bool nchw) => nchw ? [v[0], v[2], v[3], v[1]] : v;

    /// <summary>Reorders NHWC dims to the op's data_format.</summary>
    public static Shape FromNhwc(int n, int h, int w, int c, bool nchw) => nchw ? new Shape(n, c, h, w) : new Shape(n, h, w, c);

    /// <summary>Dimension <paramref name="nhwcIndex"/> (0=N, 1=H, 2=W, 3=C) of a shape in the given format, -1 when unknown.</summary>
    public static int Dim(Shape s, int nhwcIndex, bool nchw)
    {
        if (!s.IsRankKnown) return -1;
        int i = nchw ? nhwcIndex switch { 0 => 0, 1 => 2, 2 => 3, _ => 1 } : nhwcIndex;
        return s[i];
    }

    /// <summary>
    /// Output size and leading pad of one spatial dimension (TF's GetWindowedOutputSizeVerboseV2).
    /// <paramref name="input"/> &lt; 0 (unknown) gives an unknown output.
    /// </summary>
    public static WindowDim Window(int input, int kernel, int dilation, int stride, PaddingKind padding, int padBefore = 0, int padAfter = 0)
    {
        if (input < 0 || kernel < 0) return new WindowDim(-1, 0);
        int eff = (kernel - 1) * dilation + 1;
        int output, pad;
        switch (padding)
        {
            case PaddingKind.Valid:
                output = (input - eff + stride) / stride;
                pad = 0;
                break;
            case PaddingKind.Same:
                output = (input + stride - 1) / stride;
                pad = Math.Max(0, (output - 1) * stride + eff - input) / 2;
                break;
            default:
                output = (input + padBefore + padAfter - eff + stride) / stride;
                pad = padBefore;
                break;
        }
        if (output < 0)
            throw new InvalidArgumentException($"Computed output size would be negative: {output} [input_size: {input}, effective_filter_size: {eff}, stride: {stride}]");
        return new WindowDim(output, pad);
    }

    /// <summary>
    /// The shape a 1-D shape tensor (input <paramref name="i"/>) describes, as far as it is known at
    /// build time: a constant, or a <c>Shape</c> / <c>ShapeN</c> output (TF's partial shape evaluation).
    /// </summary>
    public static Shape ShapeFromShapeTensor(InferContext c, int i, int rank)
    {
        var s = c.InputShape(i);
        if (s.IsRankKnown && (s.Rank != 1 || (s[0] >= 0 && s[0] != rank)))
            throw c.Error($"Input {i} ('{c.Inputs[i].Name}') must be a vector of {rank} elements, got shape {s}");
        if (c.ConstantInput(i) is { } v)
        {
            if (v.Size != rank) throw c.Error($"Input {i} ('{c.Inputs[i].Name}') must have {rank} elements, got {v.Size}");
            var d = new int[rank];
            for (int k = 0; k < rank; k++)
            {
                long x = v.GetInt64(k);
                if (x < 0) throw c.Error($"Dimension {k} of input {i} must be non-negative, got {x}");
                d[k] = checked((int)x);
            }
            return new Shape(d);
        }
        var src = c.Inputs[i];
        if (src.Op.Type is ShapeSpec.OpType or ShapeNSpec.OpType)
        {
            var of = src.Op.Inputs[src.Op.Type == ShapeSpec.OpType ? 0 : src.Index].Shape;
            if (of.IsRankKnown && of.Rank == rank) return of;
        }
        return Shape.UnknownOfRank(rank);
    }

    /// <summary>Reads a run-time shape vector of exactly <paramref name="dims"/>.Length elements.</summary>
    public static void ReadShape(Tensor t, Span<int> dims, string what)
    {
        if (t.Rank != 1 || t.Size != dims.Length)
            throw new InvalidArgumentException($"{what} must be a vector of {dims.Length} elements, got shape {Shape.Format(t.Dims)}");
        for (int k = 0; k < dims.Length; k++)
        {
            long x = t.GetInt64(k);
            if (x < 0 || x > int.MaxValue) throw new InvalidArgumentException($"{what} has an invalid dimension {x}");
            dims[k] = (int)x;
        }
    }

    /// <summary>The NHWC-only guard used by every kernel factory.</summary>
    public static void RequireNhwc(bool nchw, string op)
    {
        if (nchw)
            throw new UnimplementedException($"{op} only supports the NHWC data format on the CPU; NCHW is not implemented. Build the op with data_format=\"NHWC\" (transpose the input if needed)");
    }

    /// <summary>
    /// The run-time geometry of a convolution from NHWC input dims and HWIO filter dims, with TF's
    /// errors for mismatched depths and negative output sizes.
    /// </summary>
    public static Kernels.ConvGeometry Geometry(Attrs2D a, ReadOnlySpan<int> input, ReadOnlySpan<int> filter, string op)
    {
        if (input.Length != 4) throw new InvalidArgumentException($"{op}: input must be 4-dimensional, got shape {Shape.Format(input)}");
        if (filter.Length != 4) throw new InvalidArgumentException($"{op}: filter must be 4-dimensional, got shape {Shape.Format(filter)}");
        if (input[3] != filter[2])
            throw new InvalidArgumentException($"{op}: input depth must equal filter in_channels, but got input depth {input[3]} (input shape {Shape.Format(input)}) and filter in_channels {filter[2]} (filter shape {Shape.Format(filter)})");
        var h = Window(input[1], filter[0], a.DilationH, a.StrideH, a.Padding, Pad(a, 2), Pad(a, 3));
        var w = Window(input[2], filter[1], a.DilationW, a.StrideW, a.Padding, Pad(a, 4), Pad(a, 5));
        return new Kernels.ConvGeometry(input[0], input[1], input[2], input[3], filter[0], filter[1], filter[3], h.Output, w.Output,
            a.StrideH, a.StrideW, a.DilationH, a.DilationW, h.PadBefore, w.PadBefore);
    }

    /// <summary>Build-time output shape of a pooling op over <paramref name="input"/>.</summary>
    public static Shape PoolShape(InferContext c, Shape input, int[] ksize, int[] strides, PaddingKind padding, bool nchw)
    {
        if (input.IsRankKnown && input.Rank != 4) throw c.Error($"Shape must be rank 4 but is rank {input.Rank} for input {input}");
        var h = Window(Dim(input, 1, nchw), ksize[1], 1, strides[1], padding);
        var w = Window(Dim(input, 2, nchw), ksize[2], 1, strides[2], padding);
        return FromNhwc(Dim(input, 0, nchw), h.Output, w.Output, Dim(input, 3, nchw), nchw);
    }

    /// <summary>The run-time geometry of a pooling op (a depthwise window: OC = C, K = KH·KW·C).</summary>
    public static Kernels.ConvGeometry PoolGeometry(ReadOnlySpan<int> input, int[] ksize, int[] strides, PaddingKind padding, string op)
    {
        if (input.Length != 4) throw new InvalidArgumentException($"{op}: input must be 4-dimensional, got shape {Shape.Format(input)}");
        var h = Window(input[1], ksize[1], 1, strides[1], padding);
        var w = Window(input[2], ksize[2], 1, strides[2], padding);
        return new Kernels.ConvGeometry(input[0], input[1], input[2], input[3], ksize[1], ksize[2], input[3], h.Output, w.Output,
            strides[1], strides[2], 1, 1, h.PadBefore, w.PadBefore);
    }

    /// <summary>Pool attrs for a builder.</summary>
    public static KeyValuePair<string, Proto.AttrValue>[] PoolAttrList(DType t, int[] ksize, int[] strides, string padding, string dataFormat)
    {
        ArgumentNullException.ThrowIfNull(ksize);
        ArgumentNullException.ThrowIfNull(strides);
        ArgumentNullException.ThrowIfNull(padding);
        return
        [
            new("T", Attr.Type(t)),
            new("ksize", Ints(ksize)),
            new("strides", Ints(strides)),
            new("padding", Attr.String(padding)),
            new("data_format", Attr.String(dataFormat)),
        ];
    }

    /// <summary>Explicit padding entry <paramref name="i"/> in NHWC order (0 unless padding is EXPLICIT).</summary>
    public static int Pad(Attrs2D a, int i) => a.Padding == PaddingKind.Explicit ? a.ExplicitPaddings[i] : 0;

    public static string Fmt(int[] v) => "[" + string.Join(", ", v) + "]";

    /// <summary>A list(int) attr from ints.</summary>
    public static Proto.AttrValue Ints(IEnumerable<int> v) => Attr.Ints(v.Select(x => (long)x));
}

public sealed partial class Graph
{
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
        foreach (var n in ConvCommon.CopiedAttrs) attrs.Add(NamedAttr(n, like.GetAttr(n).Clone()));
        return AddOp(type, inputs, null, type, attrs)[0];
    }
}
