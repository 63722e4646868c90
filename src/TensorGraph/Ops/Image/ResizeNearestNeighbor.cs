using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// ResizeNearestNeighbor (<c>tf.image.resize_nearest_neighbor</c>): NHWC images resized to
/// <c>size</c> by copying, for every output pixel, the source pixel TF 1.15 picks: floor (or
/// round, with align_corners) of x·scale (or (x + 0.5)·scale with half_pixel_centers), capped at
/// the last index. The output keeps the input's dtype.
/// </summary>
internal sealed class ResizeNearestNeighborSpec : ResizeSpec
{
    public const string OpType = "ResizeNearestNeighbor";

    public override string Type => OpType;

    protected override bool KeepsType => true;

    /// <summary>
    /// TF 1.15's <c>_ResizeNearestNeighborGrad</c>: [ResizeNearestNeighborGrad(grad, the images'
    /// height and width), None], the size static where the images' shape is.
    /// </summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var image = c.X;
        var s = image.Shape;
        Output size = s.IsRankKnown && s[1] >= 0 && s[2] >= 0
            ? g.Constant(new[] { s[1], s[2] })
            : g.StridedSlice(g.ShapeOf(image), g.Constant(new[] { 1 }), g.Constant(new[] { 3 }), g.Constant(new[] { 1 }));
        var (align, half) = ImageResize.ReadAttrs(c.Op.AttrMap);
        return [g.ResizeNearestNeighborGrad(c.Grad, size, align, half), null];
    }

    protected override OpKernel NewKernel<T>(bool align, bool half) => new Kernel<T>(align, half);

    private sealed class Kernel<T>(bool align, bool half) : OpKernel where T : unmanaged
    {
        public override void Compute(OpContext ctx)
        {
            var input = ctx.Input(0);
            var g = ImageResize.Validate(input, ctx.Input(1), align);
            if (g.InHeight >= 1 << 24 || g.InWidth >= 1 << 24)
                throw new InvalidArgumentException("nearest neighbor requires max height & width of 2^24");
            var output = ctx.AllocateOutput(0, input.DType, [g.Batch, g.OutHeight, g.OutWidth, g.Channels]);
            if (output.Size == 0) return;
            var ys = new int[g.OutHeight];
            var xs = new int[g.OutWidth];
            for (int y = 0; y < g.OutHeight; y++) ys[y] = ImageResize.Nearest(y, g.HeightScale, g.InHeight, align, half);
            for (int x = 0; x < g.OutWidth; x++) xs[x] = ImageResize.Nearest(x, g.WidthScale, g.InWidth, align, half);
            var src = input.Span<T>();
            var dst = output.Span<T>();
            int pixel = g.Channels, inRow = g.InWidth * pixel, inImage = g.InHeight * inRow;
            int o = 0;
            for (int b = 0; b < g.Batch; b++)
                for (int y = 0; y < g.OutHeight; y++)
                {
                    int row = b * inImage + ys[y] * inRow;
                    for (int x = 0; x < g.OutWidth; x++, o += pixel)
                        src.Slice(row + xs[x] * pixel, pixel).CopyTo(dst.Slice(o, pixel));
                }
        }
    }
}

/// <summary>
/// ResizeNearestNeighborGrad: the gradient of ResizeNearestNeighbor with respect to its images,
/// of shape [batch, size[0], size[1], channels]: every gradient value is added to the source pixel
/// the forward op copied it from (TF's CPU kernel, same index rule with the scales from the
/// original size to the gradient's size).
/// </summary>
internal sealed class ResizeNearestNeighborGradSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        ImageResize.Attrs(halfPixelCenters: true, [DType.UInt8, DType.Int8, DType.Int32, DType.Float32, DType.Float64]);

    public const string OpType = "ResizeNearestNeighborGrad";

    public override string Type => OpType;

    protected override string[] InputArgs => ["grads: T", "size: int32"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    /// <summary>TF 1.15 registers no gradient for ResizeNearestNeighborGrad.</summary>
    public override bool NotDifferentiable => true;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.UInt8, DType.Int8, DType.Int32, DType.Float32, DType.Float64);
        ImageResize.ReadAttrs(c.Attrs);
        c.AddOutput(c.InputType(0), ImageResize.InferResized(c));
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var (align, half) = ImageResize.ReadAttrs(b.Op.AttrMap);
        return b.InputType(0) switch
        {
            DType.Float32 => new Kernel<float>(align, half),
            DType.Float64 => new Kernel<double>(align, half),
            DType.Int32 => new Kernel<int>(align, half),
            DType.UInt8 => new Kernel<byte>(align, half),
            DType.Int8 => new Kernel<sbyte>(align, half),
            var t => throw new UnimplementedException($"ResizeNearestNeighborGrad has no kernel for {t.Name()}"),
        };
    }

    private sealed class Kernel<T>(bool align, bool half) : OpKernel where T : unmanaged, System.Numerics.INumber<T>
    {
        public override void Compute(OpContext ctx)
        {
            var input = ctx.Input(0);
            var shape = ctx.Input(1);
            if (input.Rank != 4) throw new InvalidArgumentException($"input must be 4-dimensional{Shape.Format(input.Dims)}");
            if (shape.Rank != 1) throw new InvalidArgumentException($"shape_t must be 1-dimensional{Shape.Format(shape.Dims)}");
            if (shape.Size != 2) throw new InvalidArgumentException($"shape_t must have two elements{Shape.Format(shape.Dims)}");
            var sizes = shape.Span<int>();
            if (sizes[0] <= 0 || sizes[1] <= 0) throw new InvalidArgumentException("shape_t's elements must be positive");
            int n = input.Dims[0], ih = input.Dims[1], iw = input.Dims[2], c = input.Dims[3];
            int oh = sizes[0], ow = sizes[1];
            var output = ctx.AllocateOutput(0, input.DType, [n, oh, ow, c]);
            var dst = output.Span<T>();
            dst.Clear();
            if (dst.Length == 0) return;
            float hs = ImageResize.Scale(oh, ih, align), ws = ImageResize.Scale(ow, iw, align);
            var src = input.Span<T>();
            for (int y = 0; y < ih; y++)
            {
                int oy = ImageResize.Nearest(y, hs, oh, align, half);
                for (int x = 0; x < iw; x++)
                {
                    int ox = ImageResize.Nearest(x, ws, ow, align, half);
                    for (int b = 0; b < n; b++)
                    {
                        int s = ((b * ih + y) * iw + x) * c, d = ((b * oh + oy) * ow + ox) * c;
                        for (int k = 0; k < c; k++) dst[d + k] += src[s + k];
                    }
                }
            }
        }
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.image.resize_nearest_neighbor</c> (op <c>ResizeNearestNeighbor</c>): NHWC
    /// <paramref name="images"/> resized to the int32 [height, width] vector <paramref name="size"/>
    /// by nearest-neighbour sampling; the result keeps the images' dtype.
    /// </summary>
    public Output ResizeNearestNeighbor(Output images, Output size, bool alignCorners = false, bool halfPixelCenters = false, string? name = null) =>
        AddOp(ResizeNearestNeighborSpec.OpType, [images, size], name, ResizeNearestNeighborSpec.OpType,
            ImageResize.NodeAttrs(images.DType, alignCorners, halfPixelCenters))[0];

    /// <summary>
    /// TF's <c>ResizeNearestNeighborGrad</c>: the gradient of <see cref="ResizeNearestNeighbor"/>
    /// with respect to images of height and width <paramref name="size"/> (int32 [2]).
    /// </summary>
    public Output ResizeNearestNeighborGrad(Output grads, Output size, bool alignCorners = false, bool halfPixelCenters = false, string? name = null) =>
        AddOp(ResizeNearestNeighborGradSpec.OpType, [grads, size], name, ResizeNearestNeighborGradSpec.OpType,
            ImageResize.NodeAttrs(grads.DType, alignCorners, halfPixelCenters))[0];
}
