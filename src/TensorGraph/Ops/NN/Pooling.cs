using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Proto;
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

    /// <summary><c>acc[i] = x[i] &gt; acc[i] ? x[i] : acc[i]</c> (a NaN in x never wins, as the scalar loop), vectorized.</summary>
    public static void MaxInto<T>(ReadOnlySpan<T> x, Span<T> acc)
        where T : unmanaged, INumber<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported && x.Length >= Vector<T>.Count)
        {
            for (; i <= x.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var v = new Vector<T>(x[i..]);
                var a = new Vector<T>(acc[i..]);
                Vector.ConditionalSelect(Vector.GreaterThan(v, a), v, a).CopyTo(acc[i..]);
            }
        }
        for (; i < x.Length; i++)
        {
            if (x[i] > acc[i]) acc[i] = x[i];
        }
    }

    /// <summary>Parts worth splitting a pooling op over <paramref name="g"/>'s images into (one per image at most).</summary>
    public static int Parts(in ConvGeometry g) =>
        ParallelParts.For((long)g.N * g.OH * g.OW * g.C * g.KH * g.KW, 1 << 18, g.N);

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

/// <summary>
/// What the 2-D pooling ops (MaxPool, AvgPool and their gradients) share: the window attrs
/// (ksize, strides, padding, data_format) and their validation, the pooled output shape, the
/// NHWC-only kernel factory, and the gradient helper that copies the window attrs.
/// </summary>
internal abstract class PoolSpec : OpSpec
{
    /// <summary>The attrs of the MaxPool ops: T defaults to float, as in TF.</summary>
    protected static readonly IReadOnlyList<AttrSpec> MaxPoolAttrs = WindowAttrs(Attr.Type(DType.Float32));

    /// <summary>The attrs of the AvgPool ops: T has no default, as in TF.</summary>
    protected static readonly IReadOnlyList<AttrSpec> AvgPoolAttrs = WindowAttrs(null);

    private static readonly string[] WindowAttrNames = ["ksize", "strides", "padding", "data_format"];

    private static IReadOnlyList<AttrSpec> WindowAttrs(AttrValue? tDefault) =>
    [
        new("T", "type", tDefault),
        new("ksize", "list(int)", Minimum: 4),
        new("strides", "list(int)", Minimum: 4),
        new("padding", "string", AllowedStrings: ["SAME", "VALID"]),
        new("data_format", "string", Attr.String("NHWC")),
    ];

    /// <summary>The input whose dtype selects the kernel.</summary>
    protected virtual int KernelTypeInput => 0;

    /// <summary>The dtypes with a kernel (a subset of <see cref="TypeSets.Real"/>).</summary>
    protected abstract DType[] KernelTypes { get; }

    /// <summary>The kernel for dtype <typeparamref name="T"/>, given the validated NHWC window attrs.</summary>
    protected abstract OpKernel NewKernel<T>(int[] ksize, int[] strides, PaddingKind padding) where T : unmanaged, INumber<T>;

    /// <summary>Build-time output shape of pooling <paramref name="input"/> with the node's window attrs.</summary>
    protected Shape PooledShape(InferContext c, Shape input)
    {
        var (k, s, p, nchw) = ConvCommon.PoolAttrs(c.Attrs, Type);
        return ConvCommon.PoolShape(c, input, k, s, p, nchw);
    }

    public sealed override OpKernel CreateKernel(KernelBuilder b)
    {
        var (k, s, p, nchw) = ConvCommon.PoolAttrs(b.Op.AttrMap, Type);
        ConvCommon.RequireNhwc(nchw, Type);
        var t = b.InputType(KernelTypeInput);
        if (Array.IndexOf(KernelTypes, t) >= 0)
        {
            switch (t)
            {
                case DType.Float32: return NewKernel<float>(k, s, p);
                case DType.Float64: return NewKernel<double>(k, s, p);
                case DType.Int32: return NewKernel<int>(k, s, p);
                case DType.Int64: return NewKernel<long>(k, s, p);
                case DType.UInt8: return NewKernel<byte>(k, s, p);
                case DType.Int8: return NewKernel<sbyte>(k, s, p);
                case DType.Int16: return NewKernel<short>(k, s, p);
                case DType.UInt16: return NewKernel<ushort>(k, s, p);
            }
        }
        throw new UnimplementedException($"{Type} has no kernel for {t.Name()}");
    }

    /// <summary>
    /// A pooling op of <paramref name="type"/> with T = <paramref name="t"/> and the window attrs of
    /// the op being differentiated, named after its type in the gradient scope (TF's pooling gradients).
    /// </summary>
    protected static Output PoolLike(GradContext c, string type, Output[] inputs, DType t)
    {
        var attrs = new List<KeyValuePair<string, AttrValue>> { new("T", Attr.Type(t)) };
        foreach (var n in WindowAttrNames) attrs.Add(new(n, c.Op.GetAttr(n).Clone()));
        return c.Graph.AddOp(type, inputs, null, type, attrs)[0];
    }
}

/// <summary>A forward pooling op (MaxPool, AvgPool): one NHWC input of a dtype with a kernel, pooled.</summary>
internal abstract class ForwardPoolSpec : PoolSpec
{
    protected override string[] OutputArgs => ["output: T"];

    public sealed override void Infer(InferContext c)
    {
        c.RequireType(0, KernelTypes);
        c.AddOutput(c.InputType(0), PooledShape(c, c.InputShape(0)));
    }
}
