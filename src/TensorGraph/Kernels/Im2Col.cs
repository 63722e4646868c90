using System.Numerics;
using System.Numerics.Tensors;

namespace TensorGraph.Kernels;

/// <summary>
/// Geometry of a 2-D NHWC convolution: input [N, H, W, C], filter [KH, KW, C, OC], output
/// [N, OH, OW, OC], strides, dilations and the padding added before the first row/column.
/// </summary>
internal readonly record struct ConvGeometry(
    int N, int H, int W, int C, int KH, int KW, int OC, int OH, int OW,
    int StrideH, int StrideW, int DilationH, int DilationW, int PadTop, int PadLeft)
{
    /// <summary>Columns of the im2col matrix: one filter window, KH·KW·C.</summary>
    public int K => KH * KW * C;

    /// <summary>Output positions per image, OH·OW.</summary>
    public int P => OH * OW;

    /// <summary>Rows of the im2col matrix over the whole batch, N·OH·OW.</summary>
    public int Rows => N * OH * OW;

    /// <summary>True when the im2col matrix is the input itself (1×1 filter, stride 1, no padding).</summary>
    public bool IsPointwise => KH == 1 && KW == 1 && StrideH == 1 && StrideW == 1 && PadTop == 0 && PadLeft == 0 && OH == H && OW == W;
}

/// <summary>
/// im2col / col2im for NHWC convolution. Row r of the column matrix is output position r (batch-major,
/// then oy, ox); its columns are the window in filter order (ky, kx, c), so the filter reshaped to
/// [KH·KW·C, OC] multiplies it directly and the product rows are NHWC output rows.
/// </summary>
internal static class Im2Col
{
    /// <summary>Column-matrix elements processed per GEMM call (bounds scratch memory).</summary>
    public const int ChunkElements = 1 << 18;

    /// <summary>Rows per chunk so that one chunk of the column matrix has about <see cref="ChunkElements"/> elements.</summary>
    public static int ChunkRows(in ConvGeometry g, int chunkElements) => Math.Clamp(chunkElements / Math.Max(1, g.K), 1, Math.Max(1, g.Rows));

    /// <summary>Writes rows [<paramref name="rowStart"/>, +<paramref name="rowCount"/>) of the column matrix of <paramref name="input"/>.</summary>
    public static void Gather<T>(ReadOnlySpan<T> input, in ConvGeometry g, int rowStart, int rowCount, Span<T> col)
        where T : unmanaged, INumber<T>
    {
        int k = g.K, c = g.C, p = g.P;
        for (int r = 0; r < rowCount; r++)
        {
            int row = rowStart + r;
            int b = row / p, rem = row - b * p;
            int oy = rem / g.OW, ox = rem - oy * g.OW;
            var dst = col.Slice(r * k, k);
            int y0 = oy * g.StrideH - g.PadTop, x0 = ox * g.StrideW - g.PadLeft;
            bool interior = g.DilationW == 1 && x0 >= 0 && x0 + g.KW <= g.W;
            int o = 0;
            for (int ky = 0; ky < g.KH; ky++)
            {
                int iy = y0 + ky * g.DilationH;
                if ((uint)iy >= (uint)g.H)
                {
                    dst.Slice(o, g.KW * c).Clear();
                    o += g.KW * c;
                    continue;
                }
                int rowBase = (b * g.H + iy) * g.W;
                if (interior)
                {
                    // The whole window row is in bounds and contiguous in the input.
                    input.Slice((rowBase + x0) * c, g.KW * c).CopyTo(dst.Slice(o, g.KW * c));
                    o += g.KW * c;
                    continue;
                }
                for (int kx = 0; kx < g.KW; kx++, o += c)
                {
                    int ix = x0 + kx * g.DilationW;
                    if ((uint)ix >= (uint)g.W) dst.Slice(o, c).Clear();
                    else input.Slice((rowBase + ix) * c, c).CopyTo(dst.Slice(o, c));
                }
            }
        }
    }

    /// <summary>Adds rows [<paramref name="rowStart"/>, +<paramref name="rowCount"/>) of a column matrix back into image layout (col2im).</summary>
    public static void Scatter<T>(ReadOnlySpan<T> col, in ConvGeometry g, int rowStart, int rowCount, Span<T> image)
        where T : unmanaged, INumber<T>
    {
        int k = g.K, c = g.C, p = g.P;
        for (int r = 0; r < rowCount; r++)
        {
            int row = rowStart + r;
            int b = row / p, rem = row - b * p;
            int oy = rem / g.OW, ox = rem - oy * g.OW;
            var src = col.Slice(r * k, k);
            int y0 = oy * g.StrideH - g.PadTop, x0 = ox * g.StrideW - g.PadLeft;
            bool interior = g.DilationW == 1 && x0 >= 0 && x0 + g.KW <= g.W;
            int o = 0;
            for (int ky = 0; ky < g.KH; ky++)
            {
                int iy = y0 + ky * g.DilationH;
                if ((uint)iy >= (uint)g.H)
                {
                    o += g.KW * c;
                    continue;
                }
                int rowBase = (b * g.H + iy) * g.W;
                if (interior)
                {
                    var seg = image.Slice((rowBase + x0) * c, g.KW * c);
                    TensorPrimitives.Add(seg, src.Slice(o, g.KW * c), seg);
                    o += g.KW * c;
                    continue;
                }
                for (int kx = 0; kx < g.KW; kx++, o += c)
                {
                    int ix = x0 + kx * g.DilationW;
                    if ((uint)ix >= (uint)g.W) continue;
                    var dst = image.Slice((rowBase + ix) * c, c);
                    TensorPrimitives.Add(dst, src.Slice(o, c), dst);
                }
            }
        }
    }

    /// <summary>output[N·OH·OW, OC] = im2col(input) · filter[K, OC].</summary>
    public static void Forward<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> filter, Span<T> output, in ConvGeometry g, ref T[]? col, GemmScratch gemmScratch, int chunkElements = ChunkElements)
        where T : unmanaged, INumber<T>
    {
        int rows = g.Rows;
        if (rows == 0 || g.OC == 0) return;
        if (g.K == 0)
        {
            output[..(rows * g.OC)].Clear();
            return;
        }
        if (g.IsPointwise)
        {
            Gemm.Multiply(input, false, filter, false, output, rows, g.OC, g.K, gemmScratch);
            return;
        }
        int chunk = ChunkRows(g, chunkElements);
        EnsureSize(ref col, chunk * g.K);
        for (int r0 = 0; r0 < rows; r0 += chunk)
        {
            int rc = Math.Min(chunk, rows - r0);
            var colSpan = col.AsSpan(0, rc * g.K);
            Gather(input, g, r0, rc, colSpan);
            Gemm.Multiply<T>(colSpan, false, filter, false, output.Slice(r0 * g.OC, rc * g.OC), rc, g.OC, g.K, gemmScratch);
        }
    }

    /// <summary>dInput = col2im(dOut · filterᵀ).</summary>
    public static void BackpropInput<T>(ReadOnlySpan<T> filter, ReadOnlySpan<T> dOut, Span<T> dInput, in ConvGeometry g, ref T[]? col, GemmScratch gemmScratch, int chunkElements = ChunkElements)
        where T : unmanaged, INumber<T>
    {
        int rows = g.Rows;
        dInput[..(g.N * g.H * g.W * g.C)].Clear();
        if (rows == 0 || g.K == 0) return;
        if (g.IsPointwise)
        {
            Gemm.Multiply(dOut, false, filter, true, dInput, rows, g.K, g.OC, gemmScratch);
            return;
        }
        int chunk = ChunkRows(g, chunkElements);
        EnsureSize(ref col, chunk * g.K);
        for (int r0 = 0; r0 < rows; r0 += chunk)
        {
            int rc = Math.Min(chunk, rows - r0);
            var colSpan = col.AsSpan(0, rc * g.K);
            Gemm.Multiply(dOut.Slice(r0 * g.OC, rc * g.OC), false, filter, true, colSpan, rc, g.K, g.OC, gemmScratch);
            Scatter<T>(colSpan, g, r0, rc, dInput);
        }
    }

    /// <summary>dFilter[K, OC] = im2col(input)ᵀ · dOut.</summary>
    public static void BackpropFilter<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> dOut, Span<T> dFilter, in ConvGeometry g, ref T[]? col, ref T[]? partial, GemmScratch gemmScratch, int chunkElements = ChunkElements)
        where T : unmanaged, INumber<T>
    {
        int rows = g.Rows, size = g.K * g.OC;
        dFilter[..size].Clear();
        if (rows == 0 || size == 0) return;
        if (g.IsPointwise)
        {
            Gemm.Multiply(input, true, dOut, false, dFilter, g.K, g.OC, rows, gemmScratch);
            return;
        }
        int chunk = ChunkRows(g, chunkElements);
        EnsureSize(ref col, chunk * g.K);
        if (chunk < rows) EnsureSize(ref partial, size);
        for (int r0 = 0; r0 < rows; r0 += chunk)
        {
            int rc = Math.Min(chunk, rows - r0);
            var colSpan = col.AsSpan(0, rc * g.K);
            Gather(input, g, r0, rc, colSpan);
            var dOutChunk = dOut.Slice(r0 * g.OC, rc * g.OC);
            if (chunk >= rows)
            {
                Gemm.Multiply<T>(colSpan, true, dOutChunk, false, dFilter, g.K, g.OC, rc, gemmScratch);
            }
            else
            {
                var part = partial!.AsSpan(0, size);
                Gemm.Multiply<T>(colSpan, true, dOutChunk, false, part, g.K, g.OC, rc, gemmScratch);
                TensorPrimitives.Add(dFilter[..size], part, dFilter[..size]);
            }
        }
    }

    private static void EnsureSize<T>([System.Diagnostics.CodeAnalysis.NotNull] ref T[]? buffer, int size)
    {
        if (buffer is null || buffer.Length < size) buffer = new T[size];
    }
}
