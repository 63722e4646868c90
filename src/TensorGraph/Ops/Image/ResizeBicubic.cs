using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// TF 1.15's bicubic weights (<c>resize_bicubic_op.cc</c>): cubic-convolution coefficients with
/// a = −0.75 (legacy) or Keys' a = −0.5 (half_pixel_centers), read from a 1024-step table at
/// <c>lrintf(delta·1024)</c>; with half-pixel centers taps outside the image get weight 0 and the
/// rest are renormalized, otherwise the taps are clamped to the border.
/// </summary>
internal static class BicubicWeights
{
    private const int TableSize = 1 << 10;

    private static readonly float[] Legacy = Table(-0.75), Keys = Table(-0.5);

    private static float[] Table(double a)
    {
        var t = new float[(TableSize + 1) * 2];
        for (int i = 0; i <= TableSize; i++)
        {
            float x = (float)(i * 1.0 / TableSize);
            t[i * 2] = (float)(((a + 2) * x - (a + 3)) * x * x + 1);
            x += 1.0f;
            t[i * 2 + 1] = (float)(((a * x - 5 * a) * x + 8 * a) * x - 4 * a);
        }
        return t;
    }

    private static int Bound(long v, int limit) => (int)Math.Min(limit - 1, Math.Max(0, v));

    /// <summary>The four source indices and weights of output index <paramref name="outLoc"/>.</summary>
    public static void Get(float scale, int outLoc, int limit, bool halfPixelCenters, Span<int> index, Span<float> weight)
    {
        float inLocF = ImageResize.Source(outLoc, scale, halfPixelCenters);
        long inLoc = (long)MathF.Floor(inLocF);
        float delta = inLocF - inLoc;
        int offset = (int)MathF.Round(delta * TableSize, MidpointRounding.ToEven);
        var t = halfPixelCenters ? Keys : Legacy;
        float w0 = t[offset * 2 + 1], w1 = t[offset * 2], w2 = t[(TableSize - offset) * 2], w3 = t[(TableSize - offset) * 2 + 1];
        for (int k = 0; k < 4; k++) index[k] = Bound(inLoc - 1 + k, limit);
        if (halfPixelCenters)
        {
            weight[0] = index[0] == inLoc - 1 ? w0 : 0f;
            weight[1] = index[1] == inLoc ? w1 : 0f;
            weight[2] = index[2] == inLoc + 1 ? w2 : 0f;
            weight[3] = index[3] == inLoc + 2 ? w3 : 0f;
            float sum = weight[0] + weight[1] + weight[2] + weight[3];
            if (MathF.Abs(sum) >= 1000.0f * 1.17549435E-38f) // 1000 · numeric_limits<float>::min()
            {
                float inv = 1.0f / sum;
                for (int k = 0; k < 4; k++) weight[k] *= inv;
            }
        }
        else
        {
            weight[0] = w0;
            weight[1] = w1;
            weight[2] = w2;
            weight[3] = w3;
        }
    }
}

/// <summary>
/// ResizeBicubic (<c>tf.image.resize_bicubic</c>): NHWC images resized by bicubic interpolation
/// with TF 1.15's weights (<see cref="BicubicWeights"/>), first along y for each of the four
/// columns, then along x, in single precision; the result is float32.
/// </summary>
internal sealed class ResizeBicubicSpec : ResizeSpec
{
    public const string OpType = "ResizeBicubic";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_ResizeBicubicGrad</c>: [ResizeBicubicGrad(grad, images), None] for float or double images, else none.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var image = c.X;
        if (Array.IndexOf(TypeSets.Float, image.DType) < 0) return [null, null];
        var (align, half) = ImageResize.ReadAttrs(c.Op.AttrMap);
        return [c.Graph.ResizeBicubicGrad(c.Grad, image, align, half), null];
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
            var yi = new int[g.OutHeight * 4];
            var yw = new float[g.OutHeight * 4];
            var xi = new int[g.OutWidth * 4];
            var xw = new float[g.OutWidth * 4];
            for (int y = 0; y < g.OutHeight; y++) BicubicWeights.Get(g.HeightScale, y, g.InHeight, half, yi.AsSpan(y * 4, 4), yw.AsSpan(y * 4, 4));
            for (int x = 0; x < g.OutWidth; x++) BicubicWeights.Get(g.WidthScale, x, g.InWidth, half, xi.AsSpan(x * 4, 4), xw.AsSpan(x * 4, 4));
            var src = input.Span<T>();
            var dst = output.Span<float>();
            int c = g.Channels, inRow = g.InWidth * c, inImage = g.InHeight * inRow;
            Span<float> col = stackalloc float[4];
            int o = 0;
            for (int b = 0; b < g.Batch; b++)
                for (int y = 0; y < g.OutHeight; y++)
                {
                    int r0 = b * inImage + yi[y * 4] * inRow, r1 = b * inImage + yi[y * 4 + 1] * inRow;
                    int r2 = b * inImage + yi[y * 4 + 2] * inRow, r3 = b * inImage + yi[y * 4 + 3] * inRow;
                    float wy0 = yw[y * 4], wy1 = yw[y * 4 + 1], wy2 = yw[y * 4 + 2], wy3 = yw[y * 4 + 3];
                    for (int x = 0; x < g.OutWidth; x++)
                        for (int k = 0; k < c; k++)
                        {
                            for (int j = 0; j < 4; j++)
                            {
                                int xo = xi[x * 4 + j] * c + k;
                                col[j] = float.CreateTruncating(src[r0 + xo]) * wy0 + float.CreateTruncating(src[r1 + xo]) * wy1
                                    + float.CreateTruncating(src[r2 + xo]) * wy2 + float.CreateTruncating(src[r3 + xo]) * wy3;
                            }
                            dst[o++] = col[0] * xw[x * 4] + col[1] * xw[x * 4 + 1] + col[2] * xw[x * 4 + 2] + col[3] * xw[x * 4 + 3];
                        }
                }
        }
    }
}

/// <summary>
/// ResizeBicubicGrad: the gradient of ResizeBicubic with respect to its images (float or double,
/// shaped as <c>original_image</c>): each gradient value is spread over the 4×4 source taps with
/// the forward weights, as TF's CPU kernel does.
/// </summary>
internal sealed class ResizeBicubicGradSpec : ResizeGradSpec
{
    public const string OpType = "ResizeBicubicGrad";

    public override string Type => OpType;

    protected override OpKernel NewKernel<T>(bool align, bool half) => new Kernel<T>(align, half);

    private sealed class Kernel<T>(bool alignCorners, bool halfPixelCenters) : GradKernel<T>(alignCorners, halfPixelCenters) where T : unmanaged, IFloatingPoint<T>
    {
        protected override void Spread(ReadOnlySpan<float> src, Span<T> dst, in GradGeometry g)
        {
            int n = g.N, gh = g.GH, gw = g.GW, c = g.C, oh = g.OH, ow = g.OW;
            float hs = g.HeightScale, ws = g.WidthScale;
            bool half = g.HalfPixelCenters;
            Span<int> yi = stackalloc int[4], xi = stackalloc int[4];
            Span<float> yw = stackalloc float[4], xw = stackalloc float[4];
            int i = 0;
            for (int b = 0; b < n; b++)
                for (int y = 0; y < gh; y++)
                {
                    BicubicWeights.Get(hs, y, oh, half, yi, yw);
                    for (int x = 0; x < gw; x++)
                    {
                        BicubicWeights.Get(ws, x, ow, half, xi, xw);
                        for (int k = 0; k < c; k++)
                        {
                            float v = src[i++];
                            for (int p = 0; p < 4; p++)
                                for (int q = 0; q < 4; q++)
                                    dst[((b * oh + yi[p]) * ow + xi[q]) * c + k] += T.CreateTruncating(v * yw[p] * xw[q]);
                        }
                    }
                }
        }
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.image.resize_bicubic</c> (op <c>ResizeBicubic</c>): NHWC <paramref name="images"/>
    /// resized to the int32 [height, width] vector <paramref name="size"/> by bicubic interpolation;
    /// the result is float32.
    /// </summary>
    public Output ResizeBicubic(Output images, Output size, bool alignCorners = false, bool halfPixelCenters = false, string? name = null) =>
        AddOp(ResizeBicubicSpec.OpType, [images, size], name, ResizeBicubicSpec.OpType,
            ImageResize.NodeAttrs(images.DType, alignCorners, halfPixelCenters))[0];

    /// <summary>
    /// TF's <c>ResizeBicubicGrad</c>: the gradient of <see cref="ResizeBicubic"/> with respect to
    /// its images, given the float32 <paramref name="grads"/> and the <paramref name="originalImage"/>.
    /// </summary>
    public Output ResizeBicubicGrad(Output grads, Output originalImage, bool alignCorners = false, bool halfPixelCenters = false, string? name = null) =>
        AddOp(ResizeBicubicGradSpec.OpType, [grads, originalImage], name, ResizeBicubicGradSpec.OpType,
            ImageResize.NodeAttrs(originalImage.DType, alignCorners, halfPixelCenters))[0];
}
