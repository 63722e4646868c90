using System.Numerics;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>Window bounds of one pooling output position, clipped to the input.</summary>
internal static class PoolWindow
{
    /// <summary>The in-bounds input rows [y0, y1) and columns [x0, x1) that output (oy, ox) covers.</summary>
    public static void Bounds(in ConvGeometry g, int oy, int ox, out int y0, out int y1, out int x0, out int x1)
    {
        int ys = oy * g.StrideH - g.PadTop, xs = ox * g.StrideW - g.PadLeft;
        y0 = Math.Max(ys, 0);
        y1 = Math.Min(ys + g.KH, g.H);
        x0 = Math.Max(xs, 0);
        x1 = Math.Min(xs + g.KW, g.W);
    }

    /// <summary>
    /// For output (b, oy, ox): the flat input index of each channel's maximum, ties going to the
    /// first element in row-major window order (TF's CPU rule). False when the window is empty.
    /// </summary>
    public static bool ArgMax<T>(ReadOnlySpan<T> src, in ConvGeometry g, int b, int oy, int ox, Span<T> best, Span<int> arg)
        where T : unmanaged, INumber<T>
    {
        Bounds(g, oy, ox, out int y0, out int y1, out int x0, out int x1);
        if (y0 >= y1 || x0 >= x1) return false;
        int c = g.C;
        bool first = true;
        for (int iy = y0; iy < y1; iy++)
        {
            for (int ix = x0; ix < x1; ix++)
            {
                int off = ((b * g.H + iy) * g.W + ix) * c;
                var irow = src.Slice(off, c);
                if (first)
                {
                    irow.CopyTo(best);
                    for (int ch = 0; ch < c; ch++) arg[ch] = off + ch;
                    first = false;
                    continue;
                }
                for (int ch = 0; ch < c; ch++)
                {
                    if (irow[ch] > best[ch])
                    {
                        best[ch] = irow[ch];
                        arg[ch] = off + ch;
                    }
                }
            }
        }
        return true;
    }
}

/// <summary>MaxPool: the maximum over each window of an NHWC input (padding never wins).</summary>
internal sealed class MaxPoolSpec : OpSpec
{
    internal static readonly IReadOnlyList<AttrSpec> PoolAttrs =
    [
        new("T", "type", Attr.Type(DType.Float32)),
        new("ksize", "list(int)"),
        new("strides", "list(int)"),
        new("padding", "string"),
        new("data_format", "string", Attr.String("NHWC")),
    ];

    public const string OpType = "MaxPool";

    public override string Type => OpType;

    protected override string[] InputArgs => ["input: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => PoolAttrs;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, TypeSets.Real);
        var (k, s, p, nchw) = ConvCommon.PoolAttrs(c.Attrs, Type);
        c.AddOutput(c.InputType(0), ConvCommon.PoolShape(c, c.InputShape(0), k, s, p, nchw));
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var (k, s, p, nchw) = ConvCommon.PoolAttrs(b.Op.AttrMap, Type);
        ConvCommon.RequireNhwc(nchw, Type);
        return b.InputType(0) switch
        {
            DType.Float32 => new Kernel<float>(k, s, p),
            DType.Float64 => new Kernel<double>(k, s, p),
            DType.Int32 => new Kernel<int>(k, s, p),
            DType.Int64 => new Kernel<long>(k, s, p),
            DType.UInt8 => new Kernel<byte>(k, s, p),
            DType.Int8 => new Kernel<sbyte>(k, s, p),
            DType.Int16 => new Kernel<short>(k, s, p),
            DType.UInt16 => new Kernel<ushort>(k, s, p),
            var t => throw new UnimplementedException($"MaxPool has no kernel for {t.Name()}"),
        };
    }

    private sealed class Kernel<T>(int[] ksize, int[] strides, PaddingKind padding) : OpKernel where T : unmanaged, INumber<T>
    {
        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            var g = ConvCommon.PoolGeometry(x.Dims, ksize, strides, padding, "MaxPool");
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
                        PoolWindow.Bounds(g, oy, ox, out int y0, out int y1, out int x0, out int x1);
                        bool first = true;
                        for (int iy = y0; iy < y1; iy++)
                        {
                            for (int ix = x0; ix < x1; ix++)
                            {
                                var irow = src.Slice(((b * g.H + iy) * g.W + ix) * c, c);
                                if (first)
                                {
                                    irow.CopyTo(orow);
                                    first = false;
                                    continue;
                                }
                                for (int ch = 0; ch < c; ch++)
                                    if (irow[ch] > orow[ch]) orow[ch] = irow[ch];
                            }
                        }
                        if (first) orow.Clear();
                    }
                }
            }
        }
    }
}

/// <summary>
/// MaxPoolGrad: routes each output gradient to the input element that was the window's maximum.
/// Like TF's CPU kernel, the maximum is recomputed from orig_input and ties go to the first
/// element in row-major window order.
/// </summary>
internal sealed class MaxPoolGradSpec : OpSpec
{
    public const string OpType = "MaxPoolGrad";

    public override string Type => OpType;

    protected override string[] InputArgs => ["orig_input: T", "orig_output: T", "grad: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => MaxPoolSpec.PoolAttrs;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, TypeSets.Real);
        c.RequireSameType(0, 1);
        c.RequireSameType(0, 2);
        var (k, s, p, nchw) = ConvCommon.PoolAttrs(c.Attrs, Type);
        var input = c.InputShape(0);
        var outShape = ConvCommon.PoolShape(c, input, k, s, p, nchw);
        for (int i = 1; i <= 2; i++)
        {
            var si = c.InputShape(i);
            if (si.IsRankKnown && si.Rank != 4) throw c.Error($"Shape must be rank 4 but is rank {si.Rank} for input {i} {si}");
            if (!outShape.IsCompatibleWith(si))
                throw c.Error($"Input {i} ('{c.Inputs[i].Name}') has shape {si} but the pooled output of {input} has shape {outShape}");
        }
        c.AddOutput(c.InputType(0), input.IsRankKnown ? input : Shape.UnknownOfRank(4));
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var (k, s, p, nchw) = ConvCommon.PoolAttrs(b.Op.AttrMap, Type);
        ConvCommon.RequireNhwc(nchw, Type);
        return b.InputType(0) switch
        {
            DType.Float32 => new Kernel<float>(k, s, p),
            DType.Float64 => new Kernel<double>(k, s, p),
            DType.Int32 => new Kernel<int>(k, s, p),
            DType.Int64 => new Kernel<long>(k, s, p),
            var t => throw new UnimplementedException($"MaxPoolGrad has no kernel for {t.Name()}"),
        };
    }

    private sealed class Kernel<T>(int[] ksize, int[] strides, PaddingKind padding) : OpKernel where T : unmanaged, INumber<T>
    {
        private T[] _best = [];
        private int[] _arg = [];

        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            var y = ctx.Input(1);
            var grad = ctx.Input(2);
            var g = ConvCommon.PoolGeometry(x.Dims, ksize, strides, padding, "MaxPoolGrad");
            Span<int> od = [g.N, g.OH, g.OW, g.C];
            if (!grad.Dims.SequenceEqual(od) || !y.Dims.SequenceEqual(od))
                throw new InvalidArgumentException($"MaxPoolGrad: orig_output {Shape.Format(y.Dims)} and grad {Shape.Format(grad.Dims)} must have the pooled shape {Shape.Format(od)}");
            var o = ctx.AllocateOutput(0, x.DType, x.Dims);
            ReadOnlySpan<T> src = x.Span<T>();
            ReadOnlySpan<T> gs = grad.Span<T>();
            var dst = o.Span<T>();
            dst.Clear();
            int c = g.C;
            if (_best.Length < c)
            {
                _best = new T[c];
                _arg = new int[c];
            }
            var best = _best.AsSpan(0, c);
            var arg = _arg.AsSpan(0, c);
            for (int b = 0; b < g.N; b++)
            {
                for (int oy = 0; oy < g.OH; oy++)
                {
                    for (int ox = 0; ox < g.OW; ox++)
                    {
                        if (!PoolWindow.ArgMax(src, g, b, oy, ox, best, arg)) continue;
                        var grow = gs.Slice(((b * g.OH + oy) * g.OW + ox) * c, c);
                        for (int ch = 0; ch < c; ch++) dst[arg[ch]] += grow[ch];
                    }
                }
            }
        }
    }
}

/// <summary>
/// MaxPoolGradGrad: the gradient of MaxPoolGrad with respect to its grad input: for each pooled
/// position, the value of <c>grad</c> (shaped like orig_input) at the window's maximum.
/// </summary>
internal sealed class MaxPoolGradGradSpec : OpSpec
{
    public const string OpType = "MaxPoolGradGrad";

    public override string Type => OpType;

    protected override string[] InputArgs => ["orig_input: T", "orig_output: T", "grad: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => MaxPoolSpec.PoolAttrs;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, TypeSets.Real);
        c.RequireSameType(0, 1);
        c.RequireSameType(0, 2);
        var (k, s, p, nchw) = ConvCommon.PoolAttrs(c.Attrs, Type);
        var input = c.InputShape(0);
        var outShape = ConvCommon.PoolShape(c, input, k, s, p, nchw);
        if (!input.IsCompatibleWith(c.InputShape(2)))
            throw c.Error($"grad has shape {c.InputShape(2)} but must have the shape of orig_input {input}");
        if (!outShape.IsCompatibleWith(c.InputShape(1)))
            throw c.Error($"orig_output has shape {c.InputShape(1)} but the pooled output of {input} has shape {outShape}");
        c.AddOutput(c.InputType(0), outShape.IsRankKnown ? outShape.MergeWith(c.InputShape(1)) : c.InputShape(1));
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var (k, s, p, nchw) = ConvCommon.PoolAttrs(b.Op.AttrMap, Type);
        ConvCommon.RequireNhwc(nchw, Type);
        return b.InputType(0) switch
        {
            DType.Float32 => new Kernel<float>(k, s, p),
            DType.Float64 => new Kernel<double>(k, s, p),
            DType.Int32 => new Kernel<int>(k, s, p),
            DType.Int64 => new Kernel<long>(k, s, p),
            var t => throw new UnimplementedException($"MaxPoolGradGrad has no kernel for {t.Name()}"),
        };
    }

    private sealed class Kernel<T>(int[] ksize, int[] strides, PaddingKind padding) : OpKernel where T : unmanaged, INumber<T>
    {
        private T[] _best = [];
        private int[] _arg = [];

        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            var y = ctx.Input(1);
            var grad = ctx.Input(2);
            var g = ConvCommon.PoolGeometry(x.Dims, ksize, strides, padding, "MaxPoolGradGrad");
            Span<int> od = [g.N, g.OH, g.OW, g.C];
            if (!y.Dims.SequenceEqual(od) || !grad.Dims.SequenceEqual(x.Dims))
                throw new InvalidArgumentException($"MaxPoolGradGrad: orig_output {Shape.Format(y.Dims)} must have the pooled shape {Shape.Format(od)} and grad {Shape.Format(grad.Dims)} the shape of orig_input {Shape.Format(x.Dims)}");
            var o = ctx.AllocateOutput(0, x.DType, od);
            ReadOnlySpan<T> src = x.Span<T>();
            ReadOnlySpan<T> gs = grad.Span<T>();
            var dst = o.Span<T>();
            int c = g.C;
            if (_best.Length < c)
            {
                _best = new T[c];
                _arg = new int[c];
            }
            var best = _best.AsSpan(0, c);
            var arg = _arg.AsSpan(0, c);
            for (int b = 0; b < g.N; b++)
            {
                for (int oy = 0; oy < g.OH; oy++)
                {
                    for (int ox = 0; ox < g.OW; ox++)
                    {
                        var orow = dst.Slice(((b * g.OH + oy) * g.OW + ox) * c, c);
                        if (!PoolWindow.ArgMax(src, g, b, oy, ox, best, arg))
                        {
                            orow.Clear();
                            continue;
                        }
                        for (int ch = 0; ch < c; ch++) orow[ch] = gs[arg[ch]];
                    }
                }
            }
        }
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.nn.max_pool</c>: a MaxPool node over an NHWC <paramref name="value"/>;
    /// <paramref name="ksize"/> and <paramref name="strides"/> have 4 entries, <paramref name="padding"/> is "SAME" or "VALID".
    /// </summary>
    public Output MaxPool(Output value, int[] ksize, int[] strides, string padding, string dataFormat = "NHWC", string? name = null) =>
        AddOp("MaxPool", [value], name, "MaxPool", ConvCommon.PoolAttrList(value.DType, ksize, strides, padding, dataFormat))[0];

    /// <summary>TF's <c>gen_nn_ops.max_pool_grad</c>: the gradient of MaxPool with respect to its input.</summary>
    public Output MaxPoolGrad(Output origInput, Output origOutput, Output grad, int[] ksize, int[] strides, string padding,
        string dataFormat = "NHWC", string? name = null) =>
        AddOp("MaxPoolGrad", [origInput, origOutput, grad], name, "MaxPoolGrad",
            ConvCommon.PoolAttrList(origInput.DType, ksize, strides, padding, dataFormat))[0];

    /// <summary>TF's <c>gen_nn_ops.max_pool_grad_grad</c>: the gradient of MaxPoolGrad with respect to its grad input.</summary>
    public Output MaxPoolGradGrad(Output origInput, Output origOutput, Output grad, int[] ksize, int[] strides, string padding,
        string dataFormat = "NHWC", string? name = null) =>
        AddOp("MaxPoolGradGrad", [origInput, origOutput, grad], name, "MaxPoolGradGrad",
            ConvCommon.PoolAttrList(origInput.DType, ksize, strides, padding, dataFormat))[0];
}
