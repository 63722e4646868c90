using System.Numerics;
using System.Numerics.Tensors;
using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// AvgPool: the mean over each window of an NHWC input. With SAME padding the divisor counts only
/// the in-bounds elements of the window (padding is excluded, as in TF).
/// </summary>
internal sealed class AvgPoolSpec : ForwardPoolSpec
{
    public const string OpType = "AvgPool";

    public override string Type => OpType;

    protected override string[] InputArgs => ["value: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AvgPoolAttrs;

    protected override DType[] KernelTypes => TypeSets.Float;

    /// <summary>TF 1.15's <c>_AvgPoolGrad</c>: AvgPoolGrad(Shape(x), grad).</summary>
    public override Output?[] Gradient(GradContext c) => [PoolLike(c, AvgPoolGradSpec.OpType, [c.Graph.ShapeOf(c.X), c.Grad], c.X.DType)];

    protected override OpKernel NewKernel<T>(int[] ksize, int[] strides, PaddingKind padding) => new Kernel<T>(ksize, strides, padding);

    private sealed class Kernel<T>(int[] ksize, int[] strides, PaddingKind padding) : OpKernel where T : unmanaged, INumber<T>
    {
        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            var g = ConvCommon.PoolGeometry(x.Dims, ksize, strides, padding, OpType);
            Span<int> od = [g.N, g.OH, g.OW, g.C];
            var o = ctx.AllocateOutput(0, x.DType, od);
            ReadOnlySpan<T> src = x.Span<T>();
            var dst = o.Span<T>();
            int c = g.C;
            for (int b = 0; b < g.N; b++)
            {
                for (int oy = 0; oy < g.OH; oy++)
                {
                    for (int ox = 0; ox < g.OW; ox++)
                    {
                        var orow = dst.Slice(((b * g.OH + oy) * g.OW + ox) * c, c);
                        orow.Clear();
                        PoolWindow.Bounds(g, oy, ox, out int y0, out int y1, out int x0, out int x1);
                        for (int iy = y0; iy < y1; iy++)
                            for (int ix = x0; ix < x1; ix++)
                                TensorPrimitives.Add(orow, src.Slice(((b * g.H + iy) * g.W + ix) * c, c), orow);
                        int count = Math.Max(0, y1 - y0) * Math.Max(0, x1 - x0);
                        if (count > 0) TensorPrimitives.Divide(orow, T.CreateChecked(count), orow);
                    }
                }
            }
        }
    }
}

/// <summary>AvgPoolGrad: spreads each output gradient evenly over the in-bounds elements of its window.</summary>
internal sealed class AvgPoolGradSpec : PoolSpec
{
    public const string OpType = "AvgPoolGrad";

    public override string Type => OpType;

    protected override string[] InputArgs => ["orig_input_shape: int32", "grad: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AvgPoolAttrs;

    protected override DType[] KernelTypes => TypeSets.Float;

    protected override int KernelTypeInput => 1;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.Int32);
        c.RequireType(1, TypeSets.Float);
        var (k, s, p, nchw) = ConvCommon.PoolAttrs(c.Attrs, Type);
        var input = ConvCommon.ShapeFromShapeTensor(c, 0, 4);
        var outShape = ConvCommon.PoolShape(c, input, k, s, p, nchw);
        var gs = c.InputShape(1);
        if (gs.IsRankKnown && gs.Rank != 4) throw c.Error($"Shape must be rank 4 but is rank {gs.Rank} for grad {gs}");
        if (!outShape.IsCompatibleWith(gs))
            throw c.Error($"grad has shape {gs} but the pooled output of {input} has shape {outShape}");
        c.AddOutput(c.InputType(1), input);
    }

    /// <summary>TF 1.15's <c>_AvgPoolGradGrad</c>: AvgPool(grad) for grad; the shape input gets none.</summary>
    public override Output?[] Gradient(GradContext c) => [null, PoolLike(c, AvgPoolSpec.OpType, [c.Grad], c.Grad.DType)];

    protected override OpKernel NewKernel<T>(int[] ksize, int[] strides, PaddingKind padding) => new Kernel<T>(ksize, strides, padding);

    private sealed class Kernel<T>(int[] ksize, int[] strides, PaddingKind padding) : OpKernel where T : unmanaged, INumber<T>
    {
        public override void Compute(OpContext ctx)
        {
            Span<int> inDims = stackalloc int[4];
            ConvCommon.ReadShape(ctx.Input(0), inDims, "AvgPoolGrad: orig_input_shape");
            var grad = ctx.Input(1);
            var g = ConvCommon.PoolGeometry(inDims, ksize, strides, padding, OpType);
            Span<int> od = [g.N, g.OH, g.OW, g.C];
            if (!grad.Dims.SequenceEqual(od))
                throw new InvalidArgumentException($"AvgPoolGrad: grad has shape {Shape.Format(grad.Dims)} but the pooled output of {Shape.Format(inDims)} has shape {Shape.Format(od)}");
            var o = ctx.AllocateOutput(0, grad.DType, inDims);
            ReadOnlySpan<T> gs = grad.Span<T>();
            var dst = o.Span<T>();
            dst.Clear();
            int c = g.C;
            for (int b = 0; b < g.N; b++)
            {
                for (int oy = 0; oy < g.OH; oy++)
                {
                    for (int ox = 0; ox < g.OW; ox++)
                    {
                        PoolWindow.Bounds(g, oy, ox, out int y0, out int y1, out int x0, out int x1);
                        int count = Math.Max(0, y1 - y0) * Math.Max(0, x1 - x0);
                        if (count == 0) continue;
                        T scale = T.One / T.CreateChecked(count);
                        var grow = gs.Slice(((b * g.OH + oy) * g.OW + ox) * c, c);
                        for (int iy = y0; iy < y1; iy++)
                        {
                            for (int ix = x0; ix < x1; ix++)
                            {
                                var drow = dst.Slice(((b * g.H + iy) * g.W + ix) * c, c);
                                TensorPrimitives.MultiplyAdd(grow, scale, drow, drow);
                            }
                        }
                    }
                }
            }
        }
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.nn.avg_pool</c>: an AvgPool node over an NHWC <paramref name="value"/>;
    /// <paramref name="ksize"/> and <paramref name="strides"/> have 4 entries, <paramref name="padding"/> is "SAME" or "VALID".
    /// </summary>
    public Output AvgPool(Output value, int[] ksize, int[] strides, string padding, string dataFormat = "NHWC", string? name = null) =>
        AddOp(AvgPoolSpec.OpType, [value], name, AvgPoolSpec.OpType, ConvCommon.PoolAttrList(value.DType, ksize, strides, padding, dataFormat))[0];

    /// <summary>TF's <c>gen_nn_ops.avg_pool_grad</c>: the gradient of AvgPool, given the int32 shape of its input.</summary>
    public Output AvgPoolGrad(Output origInputShape, Output grad, int[] ksize, int[] strides, string padding,
        string dataFormat = "NHWC", string? name = null) =>
        AddOp(AvgPoolGradSpec.OpType, [origInputShape, grad], name, AvgPoolGradSpec.OpType,
            ConvCommon.PoolAttrList(grad.DType, ksize, strides, padding, dataFormat))[0];
}
