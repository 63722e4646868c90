using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// ResizeBilinear (<c>tf.image.resize_bilinear</c>): NHWC images of any real dtype resized to
/// <c>size</c> by bilinear interpolation, output float32, with TF 1.15's arithmetic: source
/// coordinate x·scale (or (x + 0.5)·scale − 0.5 with half_pixel_centers), lower index
/// max(floor, 0), upper min(ceil, size − 1), weight in − floor(in), and the two-step lerp of
/// <c>compute_lerp</c> in single precision.
/// </summary>
internal sealed class ResizeBilinearSpec : ResizeSpec
{
    public const string OpType = "ResizeBilinear";

    public override string Type => OpType;

    /// <summary>
    /// TF 1.15's <c>_ResizeBilinearGrad</c>: [ResizeBilinearGrad(grad, images), None]; images of a
    /// dtype ResizeBilinearGrad has no kernel for (integers) get no gradient.
    /// </summary>
    public override Output?[] Gradient(GradContext c)
    {
        var image = c.X;
        if (Array.IndexOf(TypeSets.Float, image.DType) < 0) return [null, null];
        var g = c.Graph;
        var (align, half) = ImageResize.ReadAttrs(c.Op.AttrMap);
        return [g.ResizeBilinearGrad(c.Grad, image, align, half), null];
    }

    protected override OpKernel NewKernel<T>(bool align, bool half) => new Kernel<T>(align, half);

    private sealed class Kernel<T>(bool align, bool half) : OpKernel where T : unmanaged, INumber<T>
    {
        public override void Compute(OpContext ctx)
        {
            var input = ctx.Input(0);
            var g = ImageResize.Validate(input, ctx.Input(1), align);
            var output = ctx.AllocateOutput(0, DType.Float32, [g.Batch, g.OutHeight, g.OutWidth, g.Channels]);
            if (output.Size == 0) return;
            int[] yl = new int[g.OutHeight], yu = new int[g.OutHeight], xl = new int[g.OutWidth], xu = new int[g.OutWidth];
            float[] ylerp = new float[g.OutHeight], xlerp = new float[g.OutWidth];
            ImageResize.Weights(g.OutHeight, g.InHeight, g.HeightScale, half, yl, yu, ylerp);
            ImageResize.Weights(g.OutWidth, g.InWidth, g.WidthScale, half, xl, xu, xlerp);
            var src = input.Span<T>();
            var dst = output.Span<float>();
            int c = g.Channels, inRow = g.InWidth * c, inImage = g.InHeight * inRow;
            int o = 0;
            for (int b = 0; b < g.Batch; b++)
            {
                int img = b * inImage;
                for (int y = 0; y < g.OutHeight; y++)
                {
                    int top = img + yl[y] * inRow, bottom = img + yu[y] * inRow;
                    float yw = ylerp[y];
                    for (int x = 0; x < g.OutWidth; x++)
                    {
                        int left = xl[x] * c, right = xu[x] * c;
                        float xw = xlerp[x];
                        for (int k = 0; k < c; k++)
                        {
                            float tl = float.CreateTruncating(src[top + left + k]);
                            float tr = float.CreateTruncating(src[top + right + k]);
                            float bl = float.CreateTruncating(src[bottom + left + k]);
                            float br = float.CreateTruncating(src[bottom + right + k]);
                            float t = tl + (tr - tl) * xw;
                            float bo = bl + (br - bl) * xw;
                            dst[o++] = t + (bo - t) * yw;
                        }
                    }
                }
            }
        }
    }
}

/// <summary>
/// ResizeBilinearGrad: the gradient of ResizeBilinear with respect to its images, shaped as
/// <c>original_image</c> and of its dtype (float or double): every output-gradient value is
/// spread over its four source pixels with the forward weights, as TF's CPU kernel does.
/// </summary>
internal sealed class ResizeBilinearGradSpec : ResizeGradSpec
{
    public const string OpType = "ResizeBilinearGrad";

    public override string Type => OpType;

    protected override OpKernel NewKernel<T>(bool align, bool half) => new Kernel<T>(align, half);

    private sealed class Kernel<T>(bool alignCorners, bool halfPixelCenters) : GradKernel<T>(alignCorners, halfPixelCenters) where T : unmanaged, IFloatingPoint<T>
    {
        protected override void Spread(ReadOnlySpan<float> src, Span<T> dst, in GradGeometry g)
        {
            int n = g.N, gh = g.GH, gw = g.GW, c = g.C, oh = g.OH, ow = g.OW;
            float hs = g.HeightScale, ws = g.WidthScale;
            bool half = g.HalfPixelCenters;
            int outRow = ow * c, outImage = oh * outRow;
            int i = 0;
            for (int b = 0; b < n; b++)
            {
                for (int y = 0; y < gh; y++)
                {
                    float inY = ImageResize.Source(y, hs, half);
                    int top = (int)Math.Max((long)MathF.Floor(inY), 0), bottom = (int)Math.Min((long)MathF.Ceiling(inY), oh - 1);
                    float yl = inY - MathF.Floor(inY), iyl = 1 - yl;
                    for (int x = 0; x < gw; x++)
                    {
                        float inX = ImageResize.Source(x, ws, half);
                        int left = (int)Math.Max((long)MathF.Floor(inX), 0), right = (int)Math.Min((long)MathF.Ceiling(inX), ow - 1);
                        float xl = inX - MathF.Floor(inX), ixl = 1 - xl;
                        int tl = b * outImage + top * outRow + left * c, tr = b * outImage + top * outRow + right * c;
                        int bl = b * outImage + bottom * outRow + left * c, br = b * outImage + bottom * outRow + right * c;
                        for (int k = 0; k < c; k++)
                        {
                            float v = src[i++];
                            dst[tl + k] += T.CreateTruncating(v * iyl * ixl);
                            dst[tr + k] += T.CreateTruncating(v * iyl * xl);
                            dst[bl + k] += T.CreateTruncating(v * yl * ixl);
                            dst[br + k] += T.CreateTruncating(v * yl * xl);
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
    /// TF's <c>tf.image.resize_bilinear</c> (op <c>ResizeBilinear</c>): NHWC
    /// <paramref name="images"/> resized to the int32 [height, width] vector <paramref name="size"/>
    /// by bilinear interpolation; the result is float32.
    /// </summary>
    public Output ResizeBilinear(Output images, Output size, bool alignCorners = false, bool halfPixelCenters = false, string? name = null) =>
        AddOp(ResizeBilinearSpec.OpType, [images, size], name, ResizeBilinearSpec.OpType,
            ImageResize.NodeAttrs(images.DType, alignCorners, halfPixelCenters))[0];

    /// <summary>
    /// TF's <c>ResizeBilinearGrad</c>: the gradient of <see cref="ResizeBilinear"/> with respect to
    /// its images, given the float32 gradient <paramref name="grads"/> of the resized images and the
    /// <paramref name="originalImage"/> (whose shape and dtype the result has).
    /// </summary>
    public Output ResizeBilinearGrad(Output grads, Output originalImage, bool alignCorners = false, bool halfPixelCenters = false, string? name = null) =>
        AddOp(ResizeBilinearGradSpec.OpType, [grads, originalImage], name, ResizeBilinearGradSpec.OpType,
            ImageResize.NodeAttrs(originalImage.DType, alignCorners, halfPixelCenters))[0];
}
