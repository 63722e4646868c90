using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>Checks shared by the two convolution backprop ops.</summary>
internal static class ConvBackprop
{
    /// <summary>Build-time checks of the filter / out_backprop ranks and depths.</summary>
    public static void CheckShapes(InferContext c, ConvCommon.Attrs2D a, Shape input, Shape filter, Shape outBackprop)
    {
        if (filter.IsRankKnown && filter.Rank != 4) throw c.Error($"Shape must be rank 4 but is rank {filter.Rank} for filter {filter}");
        if (outBackprop.IsRankKnown && outBackprop.Rank != 4) throw c.Error($"Shape must be rank 4 but is rank {outBackprop.Rank} for out_backprop {outBackprop}");
        if (input.IsRankKnown && input.Rank != 4) throw c.Error($"Shape must be rank 4 but is rank {input.Rank} for input {input}");
        int depth = ConvCommon.Dim(input, 3, a.Nchw), fin = filter.IsRankKnown ? filter[2] : -1;
        if (depth >= 0 && fin >= 0 && depth != fin)
            throw c.Error($"Dimensions must be equal, but are {depth} and {fin}: input depth does not match filter in_channels (input {input}, filter {filter})");
        int odepth = ConvCommon.Dim(outBackprop, 3, a.Nchw), fout = filter.IsRankKnown ? filter[3] : -1;
        if (odepth >= 0 && fout >= 0 && odepth != fout)
            throw c.Error($"Dimensions must be equal, but are {odepth} and {fout}: out_backprop depth does not match filter out_channels (out_backprop {outBackprop}, filter {filter})");
    }

    /// <summary>Run-time check that out_backprop has the forward output's shape.</summary>
    public static void CheckOutBackprop(in ConvGeometry g, Tensor outBackprop, string op)
    {
        var d = outBackprop.Dims;
        if (d.Length != 4 || d[0] != g.N || d[1] != g.OH || d[2] != g.OW || d[3] != g.OC)
            throw new InvalidArgumentException($"{op}: out_backprop has shape {Shape.Format(d)} but the convolution output is [{g.N}, {g.OH}, {g.OW}, {g.OC}]");
    }
}

/// <summary>Conv2DBackpropInput: dL/dinput of Conv2D, computed as GEMM (out_backprop · filterᵀ) then col2im.</summary>
internal sealed class Conv2DBackpropInputSpec : OpSpec
{
    public const string OpType = "Conv2DBackpropInput";

    public override string Type => OpType;

    protected override string[] InputArgs => ["input_sizes: int32", "filter: T", "out_backprop: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => ConvCommon.ConvAttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.Int32);
        c.RequireType(1, TypeSets.Float);
        c.RequireSameType(1, 2);
        var a = ConvCommon.ConvAttrs(c.Attrs, Type);
        var input = ConvCommon.ShapeFromShapeTensor(c, 0, 4);
        ConvBackprop.CheckShapes(c, a, input, c.InputShape(1), c.InputShape(2));
        c.AddOutput(c.InputType(1), input);
    }

    /// <summary>
    /// TF 1.15's <c>_Conv2DBackpropInputGrad</c>: [None, Conv2DBackpropFilter(grad, Shape(filter),
    /// out_backprop), Conv2D(grad, filter)].
    /// </summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var t = c.Input(1).DType;
        var filter = c.Input(1);
        return
        [
            null,
            g.Conv2DBackpropFilterLike(c.Grad, g.ShapeOf(filter), c.Input(2), c.Op, t),
            g.Conv2DLike(c.Grad, filter, c.Op, t),
        ];
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var a = ConvCommon.ConvAttrs(b.Op.AttrMap, Type);
        ConvCommon.RequireNhwc(a.Nchw, Type);
        return b.InputType(1) switch
        {
            DType.Float32 => new Kernel<float>(a),
            DType.Float64 => new Kernel<double>(a),
            var t => throw new UnimplementedException($"Conv2DBackpropInput has no kernel for {t.Name()}"),
        };
    }

    private sealed class Kernel<T>(ConvCommon.Attrs2D a) : OpKernel where T : unmanaged, INumber<T>
    {
        private readonly ConvParallel<T> _conv = new();

        public override void Compute(OpContext ctx)
        {
            Span<int> inDims = stackalloc int[4];
            ConvCommon.ReadShape(ctx.Input(0), inDims, "Conv2DBackpropInput: input_sizes");
            var filter = ctx.Input(1);
            var dOut = ctx.Input(2);
            var g = ConvCommon.Geometry(a, inDims, filter.Dims, OpType);
            ConvBackprop.CheckOutBackprop(g, dOut, OpType);
            var o = ctx.AllocateOutput(0, filter.DType, inDims);
            _conv.BackpropInput((T[])filter.Data, (T[])dOut.Data, (T[])o.Data, g);
        }
    }
}

/// <summary>Conv2DBackpropFilter: dL/dfilter of Conv2D, computed as im2col(input)ᵀ · out_backprop.</summary>
internal sealed class Conv2DBackpropFilterSpec : OpSpec
{
    public const string OpType = "Conv2DBackpropFilter";

    public override string Type => OpType;

    protected override string[] InputArgs => ["input: T", "filter_sizes: int32", "out_backprop: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => ConvCommon.ConvAttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, TypeSets.Float);
        c.RequireType(1, DType.Int32);
        c.RequireSameType(0, 2);
        var a = ConvCommon.ConvAttrs(c.Attrs, Type);
        var filter = ConvCommon.ShapeFromShapeTensor(c, 1, 4);
        ConvBackprop.CheckShapes(c, a, c.InputShape(0), filter, c.InputShape(2));
        c.AddOutput(c.InputType(0), filter);
    }

    /// <summary>
    /// TF 1.15's <c>_Conv2DBackpropFilterGrad</c>: [Conv2DBackpropInput(Shape(input), grad,
    /// out_backprop), None, Conv2D(input, grad)].
    /// </summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var t = c.X.DType;
        return
        [
            g.Conv2DBackpropInputLike(g.ShapeOf(c.X), c.Grad, c.Input(2), c.Op, t),
            null,
            g.Conv2DLike(c.X, c.Grad, c.Op, t),
        ];
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var a = ConvCommon.ConvAttrs(b.Op.AttrMap, Type);
        ConvCommon.RequireNhwc(a.Nchw, Type);
        return b.InputType(0) switch
        {
            DType.Float32 => new Kernel<float>(a),
            DType.Float64 => new Kernel<double>(a),
            var t => throw new UnimplementedException($"Conv2DBackpropFilter has no kernel for {t.Name()}"),
        };
    }

    private sealed class Kernel<T>(ConvCommon.Attrs2D a) : OpKernel where T : unmanaged, INumber<T>
    {
        private readonly ConvParallel<T> _conv = new();

        public override void Compute(OpContext ctx)
        {
            var input = ctx.Input(0);
            Span<int> fDims = stackalloc int[4];
            ConvCommon.ReadShape(ctx.Input(1), fDims, "Conv2DBackpropFilter: filter_sizes");
            var dOut = ctx.Input(2);
            var g = ConvCommon.Geometry(a, input.Dims, fDims, OpType);
            ConvBackprop.CheckOutBackprop(g, dOut, OpType);
            var o = ctx.AllocateOutput(0, input.DType, fDims);
            _conv.BackpropFilter((T[])input.Data, (T[])dOut.Data, (T[])o.Data, g);
        }
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.nn.conv2d_backprop_input</c>: the gradient of Conv2D with respect to its input,
    /// whose shape is the int32 vector <paramref name="inputSizes"/>.
    /// </summary>
    public Output Conv2DBackpropInput(Output inputSizes, Output filter, Output outBackprop, int[] strides, string padding,
        int[]? dilations = null, string? name = null, string dataFormat = "NHWC", int[]? explicitPaddings = null) =>
        AddOp(Conv2DBackpropInputSpec.OpType, [inputSizes, filter, outBackprop], name, Conv2DBackpropInputSpec.OpType,
            ConvAttrs(filter.DType, strides, padding, dilations, dataFormat, explicitPaddings))[0];

    /// <summary>
    /// TF's <c>tf.nn.conv2d_backprop_filter</c>: the gradient of Conv2D with respect to its filter,
    /// whose shape is the int32 vector <paramref name="filterSizes"/>.
    /// </summary>
    public Output Conv2DBackpropFilter(Output input, Output filterSizes, Output outBackprop, int[] strides, string padding,
        int[]? dilations = null, string? name = null, string dataFormat = "NHWC", int[]? explicitPaddings = null) =>
        AddOp(Conv2DBackpropFilterSpec.OpType, [input, filterSizes, outBackprop], name, Conv2DBackpropFilterSpec.OpType,
            ConvAttrs(input.DType, strides, padding, dilations, dataFormat, explicitPaddings))[0];

    /// <summary>
    /// TF 1.15's <c>tf.nn.conv2d_transpose(value, filter, output_shape, strides, padding,
    /// data_format)</c>: the transpose (gradient) of Conv2D, a Conv2DBackpropInput node named
    /// <c>conv2d_transpose</c> whose <c>input_sizes</c> is <paramref name="outputShape"/> (a Const
    /// <c>conv2d_transpose/input_sizes</c>). <paramref name="filter"/> is [height, width,
    /// output_channels, in_channels]; <paramref name="strides"/> has 1, 2 or 4 entries (TF's
    /// <c>_get_sequence</c>); <paramref name="padding"/> is "SAME" or "VALID".
    /// </summary>
    public Output Conv2DTranspose(Output value, Output filter, int[] outputShape, int[] strides, string padding = "SAME",
        string dataFormat = "NHWC", string? name = null)
    {
        ArgumentNullException.ThrowIfNull(outputShape);
        if (outputShape.Length != 4) throw new InvalidArgumentException($"output_shape must have shape (4,), got ({outputShape.Length},)");
        int axis = dataFormat == "NCHW" ? 1 : 3;
        int fout = filter.Shape.IsRankKnown && filter.Shape.Rank == 4 ? filter.Shape[2] : -1;
        if (fout >= 0 && outputShape[axis] >= 0 && fout != outputShape[axis])
            throw new InvalidArgumentException($"output_shape does not match filter's output channels, {outputShape[axis]} != {fout}");
        using var scope = NameScope(name ?? "conv2d_transpose");
        var exact = CurrentNameScope + "/";
        return Conv2DTransposeIn(value, filter, Constant(outputShape, name: "input_sizes"), strides, padding, dataFormat, exact);
    }

    /// <summary><see cref="Conv2DTranspose(Output, Output, int[], int[], string, string, string)"/> with the output shape as an int32 tensor of 4 elements.</summary>
    public Output Conv2DTranspose(Output value, Output filter, Output outputShape, int[] strides, string padding = "SAME",
        string dataFormat = "NHWC", string? name = null)
    {
        if (outputShape.Shape.IsRankKnown && (outputShape.Shape.Rank != 1 || (outputShape.Shape[0] >= 0 && outputShape.Shape[0] != 4)))
            throw new InvalidArgumentException($"output_shape must have shape (4,), got {outputShape.Shape}");
        using var scope = NameScope(name ?? "conv2d_transpose");
        return Conv2DTransposeIn(value, filter, outputShape, strides, padding, dataFormat, CurrentNameScope + "/");
    }

    private Output Conv2DTransposeIn(Output value, Output filter, Output outputShape, int[] strides, string padding, string dataFormat, string exact)
    {
        ArgumentNullException.ThrowIfNull(strides);
        if (dataFormat is not ("NHWC" or "NCHW")) throw new InvalidArgumentException($"data_format has to be either NCHW or NHWC, got {dataFormat}");
        if (padding is not ("SAME" or "VALID")) throw new InvalidArgumentException($"padding must be either VALID or SAME: {padding}");
        bool nchw = dataFormat == "NCHW";
        int axis = nchw ? 1 : 3;
        int vin = value.Shape.IsRankKnown && value.Shape.Rank == 4 ? value.Shape[axis] : -1;
        int fin = filter.Shape.IsRankKnown && filter.Shape.Rank == 4 ? filter.Shape[3] : -1;
        if (vin >= 0 && fin >= 0 && vin != fin)
            throw new InvalidArgumentException($"input channels does not match filter's input channels, {vin} != {fin}");
        int[] s4 = strides.Length switch
        {
            1 => nchw ? [1, 1, strides[0], strides[0]] : [1, strides[0], strides[0], 1],
            2 => nchw ? [1, 1, strides[0], strides[1]] : [1, strides[0], strides[1], 1],
            4 => strides,
            _ => throw new InvalidArgumentException($"strides should be of length 1, 2 or 4 but was {strides.Length}"),
        };
        return Conv2DBackpropInput(outputShape, filter, value, s4, padding, name: exact, dataFormat: dataFormat);
    }

    /// <summary>A Conv2DBackpropInput node whose attrs (other than T) are copied from <paramref name="like"/> (used by gradients).</summary>
    internal Output Conv2DBackpropInputLike(Output inputSizes, Output filter, Output outBackprop, Operation like, DType t) =>
        ConvLike(Conv2DBackpropInputSpec.OpType, [inputSizes, filter, outBackprop], like, t);

    /// <summary>A Conv2DBackpropFilter node whose attrs (other than T) are copied from <paramref name="like"/> (used by gradients).</summary>
    internal Output Conv2DBackpropFilterLike(Output input, Output filterSizes, Output outBackprop, Operation like, DType t) =>
        ConvLike(Conv2DBackpropFilterSpec.OpType, [input, filterSizes, outBackprop], like, t);
}
