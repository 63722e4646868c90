using System.Numerics;
using TensorGraph.Proto;
using TensorGraph.Runtime;

namespace TensorGraph.Ops;

/// <summary>
/// What the resize ops share, as TF 1.15's <c>image_resizer_state.h</c>: the attrs, the
/// build-time shape rule (<c>ResizeShapeFn</c>), the run-time validation of the input and the size
/// vector (<c>ImageResizerState::ValidateAndCalculateOutputSize</c>), the scale
/// (<c>CalculateResizeScale</c>) and the two source-coordinate scalers.
/// </summary>
internal static class ImageResize
{
    /// <summary>The dtypes the resize kernels take (TF's real number types that exist here).</summary>
    public static readonly DType[] Types = TypeSets.Real;

    /// <summary>T, align_corners and half_pixel_centers (both false by default), as TF registers them.</summary>
    public static IReadOnlyList<AttrSpec> Attrs(bool halfPixelCenters, IReadOnlyList<DType> types) =>
        halfPixelCenters
            ? [new("T", "type", AllowedTypes: types), new("align_corners", "bool", Attr.Bool(false)), new("half_pixel_centers", "bool", Attr.Bool(false))]
            : [new("T", "type", AllowedTypes: types), new("align_corners", "bool", Attr.Bool(false))];

    /// <summary>The align_corners and half_pixel_centers attrs of a node (false when absent).</summary>
    public static (bool AlignCorners, bool HalfPixelCenters) ReadAttrs(IDictionary<string, AttrValue> attrs)
    {
        bool align = attrs.TryGetValue("align_corners", out var a) && a.B;
        bool half = attrs.TryGetValue("half_pixel_centers", out var h) && h.B;
        if (align && half) throw new InvalidArgumentException("If half_pixel_centers is True, align_corners must be False.");
        return (align, half);
    }

    /// <summary>
    /// TF's <c>ResizeShapeFn</c>: images of rank 4, size an int32 vector of 2; the output is
    /// [batch, size[0], size[1], channels] with the sizes known where size is a constant.
    /// </summary>
    public static Shape InferResized(InferContext c, int sizeInput = 1)
    {
        var images = c.InputShape(0);
        if (images.IsRankKnown && images.Rank != 4) throw c.Error($"Shape must be rank 4 but is rank {images.Rank} for images {images}");
        c.RequireType(sizeInput, DType.Int32);
        var size = c.InputShape(sizeInput);
        if (size.IsRankKnown && size.Rank != 1) throw c.Error($"Shape must be rank 1 but is rank {size.Rank} for size {size}");
        if (size.IsRankKnown && size[0] >= 0 && size[0] != 2) throw c.Error($"Dimension must be 2 but is {size[0]} for size {size}");
        int oh = -1, ow = -1;
        var value = c.PartialShapeInput(sizeInput);
        if (value.IsRankKnown && value.Rank == 2)
        {
            oh = value[0];
            ow = value[1];
        }
        return images.IsRankKnown ? new Shape(images[0], oh, ow, images[3]) : new Shape(-1, oh, ow, -1);
    }

    /// <summary>Input and output geometry of one resize, checked as TF checks it.</summary>
    public readonly record struct Geometry(int Batch, int InHeight, int InWidth, int Channels, int OutHeight, int OutWidth, float HeightScale, float WidthScale);

    /// <summary>
    /// TF's <c>ImageResizerState::ValidateAndCalculateOutputSize</c>: a 4-D input of non-zero size
    /// with at least one channel and a size vector of two positive int32 values.
    /// </summary>
    public static Geometry Validate(Tensor input, Tensor size, bool alignCorners)
    {
        if (input.Rank != 4) throw new InvalidArgumentException($"input must be 4-dimensional{Shape.Format(input.Dims)}");
        if (size.Rank != 1) throw new InvalidArgumentException($"shape_t must be 1-dimensional{Shape.Format(size.Dims)}");
        if (size.Size != 2) throw new InvalidArgumentException($"shape_t must have two elements{Shape.Format(size.Dims)}");
        var s = size.Span<int>();
        int oh = s[0], ow = s[1];
        var d = input.Dims;
        if (oh <= 0 || ow <= 0) throw new InvalidArgumentException("output dimensions must be positive");
        if (d[3] <= 0) throw new InvalidArgumentException("image must have at least one channel");
        if (d[1] <= 0 || d[2] <= 0) throw new InvalidArgumentException("input image must be of non-zero size");
        return new Geometry(d[0], d[1], d[2], d[3], oh, ow, Scale(d[1], oh, alignCorners), Scale(d[2], ow, alignCorners));
    }

    /// <summary>TF's <c>CalculateResizeScale</c>: in/out, or (in−1)/(out−1) with align_corners and out &gt; 1.</summary>
    public static float Scale(long inSize, long outSize, bool alignCorners) =>
        alignCorners && outSize > 1 ? (inSize - 1) / (float)(outSize - 1) : inSize / (float)outSize;

    /// <summary>TF's <c>HalfPixelScaler</c> ((x + 0.5)·scale − 0.5) or <c>LegacyScaler</c> (x·scale).</summary>
    public static float Source(int x, float scale, bool halfPixelCenters) =>
        halfPixelCenters ? (x + 0.5f) * scale - 0.5f : x * scale;

    /// <summary>
    /// TF's nearest-neighbour source index: round (align_corners) or floor of (x + 0.5)·scale
    /// (<c>HalfPixelScalerForNN</c>) or x·scale, capped at <paramref name="limit"/> − 1 and, with
    /// half-pixel centers, at 0 from below.
    /// </summary>
    public static int Nearest(int x, float scale, int limit, bool alignCorners, bool halfPixelCenters)
    {
        float v = halfPixelCenters ? (x + 0.5f) * scale : x * scale;
        long i = alignCorners ? (long)MathF.Round(v, MidpointRounding.AwayFromZero) : (long)MathF.Floor(v);
        i = Math.Min(i, limit - 1);
        if (halfPixelCenters) i = Math.Max(0, i);
        return (int)i;
    }

    /// <summary>
    /// TF's <c>compute_interpolation_weights</c>: per output index the lower and upper source
    /// indices (floor clamped at 0, ceil clamped at size − 1) and the weight in − floor(in).
    /// </summary>
    public static void Weights(int outSize, int inSize, float scale, bool halfPixelCenters, int[] lower, int[] upper, float[] lerp)
    {
        for (int i = 0; i < outSize; i++)
        {
            float v = Source(i, scale, halfPixelCenters);
            float f = MathF.Floor(v);
            lower[i] = (int)Math.Max((long)f, 0);
            upper[i] = (int)Math.Min((long)MathF.Ceiling(v), inSize - 1);
            lerp[i] = v - f;
        }
    }

    /// <summary>The NodeDef attrs of a resize op: T, align_corners and (when the op has it) half_pixel_centers.</summary>
    public static KeyValuePair<string, AttrValue>[] NodeAttrs(DType t, bool alignCorners, bool? halfPixelCenters) =>
        halfPixelCenters is { } h
            ? [new("T", Attr.Type(t)), new("align_corners", Attr.Bool(alignCorners)), new("half_pixel_centers", Attr.Bool(h))]
            : [new("T", Attr.Type(t)), new("align_corners", Attr.Bool(alignCorners))];
}

/// <summary>
/// What the four resize ops share (ResizeBilinear, ResizeBicubic, ResizeNearestNeighbor,
/// ResizeArea): TF's schema (images of a real dtype and an int32 size), the shape rule
/// (<c>ResizeShapeFn</c>) and the kernel factory over the eight real dtypes.
/// </summary>
internal abstract class ResizeSpec : OpSpec
{
    private IReadOnlyList<AttrSpec>? _attrs;

    /// <summary>Whether the op has TF's half_pixel_centers attr (ResizeArea has not).</summary>
    protected virtual bool HasHalfPixelCenters => true;

    /// <summary>Whether the output keeps the images' dtype (nearest neighbour) instead of float32.</summary>
    protected virtual bool KeepsType => false;

    protected override string[] InputArgs => ["images: T", "size: int32"];

    protected override string[] OutputArgs => [KeepsType ? "resized_images: T" : "resized_images: float"];

    public override IReadOnlyList<AttrSpec> Attrs => _attrs ??= ImageResize.Attrs(HasHalfPixelCenters, ImageResize.Types);

    public override void Infer(InferContext c)
    {
        c.RequireType(0, ImageResize.Types);
        ImageResize.ReadAttrs(c.Attrs);
        c.AddOutput(KeepsType ? c.InputType(0) : DType.Float32, ImageResize.InferResized(c));
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var (align, half) = ImageResize.ReadAttrs(b.Op.AttrMap);
        return b.InputType(0) switch
        {
            DType.Float32 => NewKernel<float>(align, half),
            DType.Float64 => NewKernel<double>(align, half),
            DType.Int32 => NewKernel<int>(align, half),
            DType.Int64 => NewKernel<long>(align, half),
            DType.UInt8 => NewKernel<byte>(align, half),
            DType.Int8 => NewKernel<sbyte>(align, half),
            DType.Int16 => NewKernel<short>(align, half),
            DType.UInt16 => NewKernel<ushort>(align, half),
            var t => throw new UnimplementedException($"{Type} has no kernel for {t.Name()}"),
        };
    }

    /// <summary>The kernel for images of <typeparamref name="T"/>.</summary>
    protected abstract OpKernel NewKernel<T>(bool align, bool half) where T : unmanaged, INumber<T>;
}

/// <summary>
/// What ResizeBilinearGrad and ResizeBicubicGrad share: TF's schema (float32 grads, an
/// original_image of float or double), the shape rule, no gradient of their own (TF 1.15
/// registers none), and the kernel's validation (TF's ImageResizerGradientState); a kernel only
/// spreads the gradient values over their source pixels.
/// </summary>
internal abstract class ResizeGradSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = ImageResize.Attrs(halfPixelCenters: true, TypeSets.Float);

    protected override string[] InputArgs => ["grads: float", "original_image: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override bool NotDifferentiable => true;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.Float32);
        c.RequireType(1, TypeSets.Float);
        ImageResize.ReadAttrs(c.Attrs);
        var grads = c.InputShape(0);
        var image = c.InputShape(1);
        if (grads.IsRankKnown && grads.Rank != 4) throw c.Error($"Shape must be rank 4 but is rank {grads.Rank} for grads {grads}");
        if (image.IsRankKnown && image.Rank != 4) throw c.Error($"Shape must be rank 4 but is rank {image.Rank} for original_image {image}");
        c.AddOutput(c.InputType(1), image);
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var (align, half) = ImageResize.ReadAttrs(b.Op.AttrMap);
        return b.InputType(1) switch
        {
            DType.Float32 => NewKernel<float>(align, half),
            DType.Float64 => NewKernel<double>(align, half),
            var t => throw new UnimplementedException($"{Type} has no kernel for {t.Name()}"),
        };
    }

    /// <summary>The kernel for an original_image of <typeparamref name="T"/>.</summary>
    protected abstract OpKernel NewKernel<T>(bool align, bool half) where T : unmanaged, IFloatingPoint<T>;

    /// <summary>The geometry of one gradient call: grads [N, GH, GW, C] onto an image [N, OH, OW, C], with the forward scales.</summary>
    protected readonly record struct GradGeometry(int N, int GH, int GW, int C, int OH, int OW, float HeightScale, float WidthScale, bool HalfPixelCenters);

    /// <summary>The validated, zeroed output of a resize gradient; <see cref="Spread"/> adds the gradient values into it.</summary>
    protected abstract class GradKernel<T>(bool align, bool half) : OpKernel where T : unmanaged, IFloatingPoint<T>
    {
        public sealed override void Compute(OpContext ctx)
        {
            var grads = ctx.Input(0);
            var image = ctx.Input(1);
            if (grads.Rank != 4) throw new InvalidArgumentException($"input_grad must be 4-dimensional{Shape.Format(grads.Dims)}");
            if (image.Rank != 4) throw new InvalidArgumentException($"original_image must be 4-dimensional{Shape.Format(image.Dims)}");
            int n = grads.Dims[0], gh = grads.Dims[1], gw = grads.Dims[2], c = grads.Dims[3];
            int oh = image.Dims[1], ow = image.Dims[2];
            if (image.Dims[0] != n) throw new InvalidArgumentException("input_grad and original_image must have the same batch size");
            if (image.Dims[3] != c) throw new InvalidArgumentException("input_grad and original_image must have the same number of channels");
            if (oh <= 0 || ow <= 0) throw new InvalidArgumentException("original sizes must be positive");
            var output = ctx.AllocateOutput(0, image.DType, image.Dims);
            var dst = output.Span<T>();
            dst.Clear();
            if (grads.Size == 0) return;
            var g = new GradGeometry(n, gh, gw, c, oh, ow, ImageResize.Scale(oh, gh, align), ImageResize.Scale(ow, gw, align), half);
            Spread(grads.Span<float>(), dst, g);
        }

        /// <summary>Adds each value of <paramref name="src"/> (grads, NHWC) to its source pixels in <paramref name="dst"/> with the forward weights.</summary>
        protected abstract void Spread(ReadOnlySpan<float> src, Span<T> dst, in GradGeometry g);
    }
}
