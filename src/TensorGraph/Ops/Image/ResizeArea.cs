using System.Numerics;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// ResizeArea (<c>tf.image.resize_area</c>): NHWC images resized to <c>size</c> by area
/// averaging, output float32, as TF 1.15's CPU kernel: output pixel (y, x) covers source rows
/// [y·hs, (y+1)·hs) and columns [x·ws, (x+1)·ws); each source pixel is weighted by the part of
/// it inside that cell, rows summed within, then over rows, then scaled by 1/(hs·ws). TF
/// registers no gradient (<c>ops.NotDifferentiable("ResizeArea")</c>).
/// </summary>
internal sealed class ResizeAreaSpec : ResizeSpec
{
    public const string OpType = "ResizeArea";

    public override string Type => OpType;

    protected override bool HasHalfPixelCenters => false;

    public override bool NotDifferentiable => true;

    protected override OpKernel NewKernel<T>(bool align, bool half) => new Kernel<T>(align);

    /// <summary>TF's weight of source index <paramref name="v"/> in the cell [lo, hi) of width <paramref name="scale"/>.</summary>
    private static float Part(long v, float lo, float hi, float scale) =>
        v < lo ? (v + 1 > hi ? scale : v + 1 - lo) : (v + 1 > hi ? hi - v : 1.0f);

    private static int Bound(long v, int limit) => (int)Math.Min(limit - 1, Math.Max(0, v));

    private sealed class Kernel<T>(bool align) : OpKernel where T : unmanaged, INumber<T>
    {
        public override void Compute(OpContext ctx)
        {
            var input = ctx.Input(0);
            var g = ImageResize.Validate(input, ctx.Input(1), align);
            var output = ctx.AllocateOutput(0, DType.Float32, [g.Batch, g.OutHeight, g.OutWidth, g.Channels]);
            if (output.Size == 0) return;
            float hs = g.HeightScale, ws = g.WidthScale;
            var xStart = new long[g.OutWidth];
            var xEnd = new long[g.OutWidth];
            var xStartScale = new float[g.OutWidth];
            var xEndScale = new float[g.OutWidth];
            for (int x = 0; x < g.OutWidth; x++)
            {
                float inX = x * ws, inX1 = (x + 1) * ws;
                long v = (long)MathF.Floor(inX);
                xStart[x] = v;
                xStartScale[x] = Part(v, inX, inX1, ws);
                xEnd[x] = (long)MathF.Ceiling(inX1);
                xEndScale[x] = Part(xEnd[x] - 1, inX, inX1, ws);
            }
            float scale = 1.0f / (hs * ws);
            var src = input.Span<T>();
            var dst = output.Span<float>();
            int c = g.Channels, inRow = g.InWidth * c, inImage = g.InHeight * inRow;
            var yScales = new List<float>();
            int o = 0;
            for (int b = 0; b < g.Batch; b++)
            {
                for (int y = 0; y < g.OutHeight; y++)
                {
                    float inY = y * hs, inY1 = (y + 1) * hs;
                    long yStart = (long)MathF.Floor(inY), yEnd = (long)MathF.Ceiling(inY1);
                    yScales.Clear();
                    for (long i = yStart; i < yEnd; i++) yScales.Add(Part(i, inY, inY1, hs));
                    for (int x = 0; x < g.OutWidth; x++)
                    {
                        long xs = xStart[x], xe = xEnd[x];
                        for (int k = 0; k < c; k++)
                        {
                            float sum = 0;
                            for (long i = yStart; i < yEnd; i++)
                            {
                                int row = b * inImage + Bound(i, g.InHeight) * inRow + k;
                                float sumY;
                                if (xs + 1 == xe)
                                {
                                    sumY = float.CreateTruncating(src[row + Bound(xs, g.InWidth) * c]) * xStartScale[x];
                                }
                                else
                                {
                                    sumY = float.CreateTruncating(src[row + Bound(xs, g.InWidth) * c]) * xStartScale[x];
                                    for (long j = xs + 1; j < xe - 1; j++) sumY += float.CreateTruncating(src[row + Bound(j, g.InWidth) * c]);
                                    sumY += float.CreateTruncating(src[row + Bound(xe - 1, g.InWidth) * c]) * xEndScale[x];
                                }
                                sum += sumY * yScales[(int)(i - yStart)];
                            }
                            dst[o++] = sum * scale;
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
    /// TF's <c>tf.image.resize_area</c> (op <c>ResizeArea</c>): NHWC <paramref name="images"/>
    /// resized to the int32 [height, width] vector <paramref name="size"/> by area averaging; the
    /// result is float32.
    /// </summary>
    public Output ResizeArea(Output images, Output size, bool alignCorners = false, string? name = null) =>
        AddOp(ResizeAreaSpec.OpType, [images, size], name, ResizeAreaSpec.OpType,
            ImageResize.NodeAttrs(images.DType, alignCorners, null))[0];
}
