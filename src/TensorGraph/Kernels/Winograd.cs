using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TensorGraph.Kernels;

/// <summary>Which forward convolution a float32 Conv2D kernel runs (tests force either).</summary>
internal enum WinogradPolicy
{
    /// <summary>Winograd where <see cref="Winograd.Supports"/> holds and the measured rule says it is faster.</summary>
    Auto = 0,

    /// <summary>Winograd wherever <see cref="Winograd.Supports"/> holds.</summary>
    Always = 1,

    /// <summary>Always im2col.</summary>
    Never = 2,
}

/// <summary>
/// Winograd minimal-filtering forward convolution for float32 NHWC, stride 1, dilation 1:
/// F(2×2, 5×5) for 5×5 filters and F(4×4, 3×3) for 3×3 filters (Lavin &amp; Gray 2015). Both work on
/// 6×6 input tiles with the interpolation points 0, 1, −1, 2, −2, ∞, so they share the input
/// transform Bᵀ·d·B; the filter transform is G·g·Gᵀ and the output transform Aᵀ·m·A, where (the
/// modified Toom-Cook construction) row j of Bᵀ holds the coefficients of ∏_{l≠j}(x − a_l) (the
/// last row those of ∏_l(x − a_l)), G[j][k] = a_j^k / ∏_{l≠j}(a_j − a_l) (last row e_{r−1}) and
/// Aᵀ[i][j] = a_j^i (last column e_{m−1}).
/// <para>
/// Output tiles of m×m (m = 2 or 4) are grouped by tile rows — all ⌈OW/m⌉ tiles of m output rows
/// of one image — and tile rows into fixed blocks. Per block: every tile's 6×6×C input patch (zero
/// outside the image, so any padding works) is transformed into 36 matrices [tiles × C]; 36 GEMMs
/// by the transformed filter's 36 matrices [C × OC] give 36 matrices [tiles × OC]; the output
/// transform writes the block's output rows, which are contiguous in NHWC, and the epilogue
/// (bias, ReLU) finishes them while they are in cache. Channel counts are rounded up to whole
/// vectors with zeros. Blocks are split across cores by <see cref="ParallelParts"/>; the blocks do
/// not depend on the split, so any part count gives the same bits. One instance per kernel keeps
/// every part's scratch; nothing is allocated in the steady state.
/// </para>
/// </summary>
internal sealed class Winograd : IParallelParts
{
    /// <summary>Tile edge: both algorithms read 6×6 input tiles.</summary>
    private const int Alpha = 6;

    private const int Tiles36 = Alpha * Alpha;

    private const int Lanes = 8;

    /// <summary>Multiply-adds (of the 36 products) below which a part is not worth a thread.</summary>
    internal const long MinWorkPerPart = 1 << 21;

    /// <summary>
    /// Bytes of one block's transformed input and output tiles together. Each of a block's 36
    /// products packs its [C × OC] filter matrix again, so blocks need a few hundred tiles to hide
    /// that, yet two cores' blocks must not crowd each other out of cache: on two cores 1.2 MB
    /// measured fastest for the CNN's 32→64 layer (384 KB: 20% slower, 3 MB: 30% slower).
    /// </summary>
    internal const int DefaultBlockBytes = 5 << 18;

    private static long s_calls;

    /// <summary>Forward convolutions computed here so far (for tests).</summary>
    internal static long Calls => Interlocked.Read(ref s_calls);

    /// <summary>Which path float32 Conv2D kernels take (tests set it; <see cref="WinogradPolicy.Auto"/> otherwise).</summary>
    internal static WinogradPolicy Policy { get; set; }

    // G for r = 5 and r = 3 (rows: the points 0, 1, −1, 2, −2, ∞).
    private static readonly float[] G5 =
    [
        1f / 4, 0, 0, 0, 0,
        -1f / 6, -1f / 6, -1f / 6, -1f / 6, -1f / 6,
        -1f / 6, 1f / 6, -1f / 6, 1f / 6, -1f / 6,
        1f / 24, 1f / 12, 1f / 6, 1f / 3, 2f / 3,
        1f / 24, -1f / 12, 1f / 6, -1f / 3, 2f / 3,
        0, 0, 0, 0, 1,
    ];

    private static readonly float[] G3 =
    [
        1f / 4, 0, 0,
        -1f / 6, -1f / 6, -1f / 6,
        -1f / 6, 1f / 6, -1f / 6,
        1f / 24, 1f / 12, 1f / 6,
        1f / 24, -1f / 12, 1f / 6,
        0, 0, 1,
    ];

    /// <summary>The filter-transform matrix G (6 × r, row-major) for an r×r filter (5 or 3).</summary>
    internal static ReadOnlySpan<float> FilterMatrix(int r) => r == 5 ? G5 : G3;

    /// <summary>The input-transform matrix Bᵀ (6 × 6, row-major) both algorithms share.</summary>
    internal static ReadOnlySpan<float> InputMatrix =>
    [
        4, 0, -5, 0, 1, 0,
        0, -4, -4, 1, 1, 0,
        0, 4, -4, -1, 1, 0,
        0, -2, -1, 2, 1, 0,
        0, 2, -1, -2, 1, 0,
        0, 4, 0, -5, 0, 1,
    ];

    /// <summary>The output-transform matrix Aᵀ (m × 6, row-major) for m×m output tiles (2 or 4).</summary>
    internal static ReadOnlySpan<float> OutputMatrix(int m) => m == 2
        ? [1, 1, 1, 1, 1, 0, 0, 1, -1, 2, -2, 1]
        : [1, 1, 1, 1, 1, 0, 0, 1, -1, 2, -2, 0, 0, 1, 1, 4, 4, 0, 0, 1, -1, 8, -8, 1];

    /// <summary>Whether this kernel computes <paramref name="g"/>: a 5×5 or 3×3 filter, stride 1, dilation 1, nothing empty.</summary>
    public static bool Supports(in ConvGeometry g) =>
        g.StrideH == 1 && g.StrideW == 1 && g.DilationH == 1 && g.DilationW == 1
        && g.KH == g.KW && (g.KH == 5 || g.KH == 3)
        && g.C > 0 && g.OC > 0 && g.N > 0 && g.OH > 0 && g.OW > 0;

    /// <summary>
    /// Whether a float32 forward convolution of <paramref name="g"/> should run here: per
    /// <see cref="Policy"/>, and under <see cref="WinogradPolicy.Auto"/> only where it measured faster
    /// than im2col (enough input channels that the 36 products, not the transforms, dominate).
    /// </summary>
    public static bool Use(in ConvGeometry g) => Policy switch
    {
        WinogradPolicy.Never => false,
        WinogradPolicy.Always => Supports(g),
        _ => Supports(g) && Vector256.IsHardwareAccelerated && g.C >= 16 && g.OC >= 16,
    };

    private readonly int _blockBytes;
    private readonly long _minWorkPerPart;
    private float[]?[] _v = [];
    private float[]?[] _m = [];
    private float[]?[] _patch = [];
    private GemmScratch[] _scratch = [];
    private float[] _u = [], _filterPadded = [];

    // The call in flight.
    private ConvGeometry _g;
    private float[] _x = [], _y = [];
    private IConvEpilogue<float>? _epilogue;
    private int _oh, _ow, _oc, _tileM, _cinP, _coutP, _tilesH, _tilesW, _rowsPerBlock, _blocks;

    /// <summary>A runner whose blocks take about <paramref name="blockBytes"/> of scratch and whose parts get at least <paramref name="minWorkPerPart"/> multiply-adds (tests lower both).</summary>
    public Winograd(int blockBytes = DefaultBlockBytes, long minWorkPerPart = MinWorkPerPart)
    {
        _blockBytes = blockBytes;
        _minWorkPerPart = minWorkPerPart;
    }

    /// <summary>The parts the last call was split into (for tests).</summary>
    internal int LastParts { get; private set; }

    /// <summary>The blocks the last call was cut into (for tests).</summary>
    internal int LastBlocks => _blocks;

    /// <summary>
    /// output[N, OH, OW, OC] = conv(input[N, H, W, C], filter[K, K, C, OC]) for a geometry
    /// <see cref="Supports"/> accepts; with <paramref name="epilogue"/>, each block of output rows is
    /// finished by it right after its output transform.
    /// </summary>
    public void Forward(float[] input, float[] filter, float[] output, in ConvGeometry g, IConvEpilogue<float>? epilogue = null, int maxParts = int.MaxValue)
    {
        if (!Supports(g)) throw new ArgumentException("Winograd convolution needs a 5x5 or 3x3 filter, stride 1, dilation 1 and non-empty shapes.", nameof(g));
        if (input.Length < g.N * g.H * g.W * g.C || filter.Length < g.K * g.OC || output.Length < g.Rows * g.OC)
            throw new ArgumentException("Convolution operand is smaller than its geometry.");
        Interlocked.Increment(ref s_calls);
        (_oh, _ow, _oc) = (g.OH, g.OW, g.OC);
        _tileM = g.KH == 5 ? 2 : 4;
        _cinP = RoundUp(g.C, Lanes);
        _coutP = RoundUp(g.OC, Lanes);
        _tilesH = (g.OH + _tileM - 1) / _tileM;
        _tilesW = (g.OW + _tileM - 1) / _tileM;
        int tileRows = g.N * _tilesH;
        long bytesPerTileRow = (long)Tiles36 * _tilesW * (_cinP + _coutP) * sizeof(float);
        _rowsPerBlock = (int)Math.Clamp(_blockBytes / bytesPerTileRow, 1, tileRows);
        _blocks = (tileRows + _rowsPerBlock - 1) / _rowsPerBlock;
        TransformFilter(filter, g);

        long work = (long)tileRows * _tilesW * Tiles36 * _cinP * _coutP;
        int parts = ParallelParts.For(work, _minWorkPerPart, Math.Min(maxParts, _blocks));
        if (_scratch.Length < parts)
        {
            int had = _scratch.Length;
            Array.Resize(ref _scratch, parts);
            Array.Resize(ref _v, parts);
            Array.Resize(ref _m, parts);
            Array.Resize(ref _patch, parts);
            for (int p = had; p < parts; p++) _scratch[p] = new GemmScratch();
        }
        int blockTiles = _rowsPerBlock * _tilesW;
        for (int p = 0; p < parts; p++)
        {
            Ensure(ref _v[p], Tiles36 * blockTiles * _cinP);
            Ensure(ref _m[p], Tiles36 * blockTiles * _coutP);
            Ensure(ref _patch[p], Tiles36 * _cinP);
        }
        (_g, _x, _y, _epilogue) = (g, input, output, epilogue);
        try
        {
            ParallelParts.Run(this, parts);
        }
        finally
        {
            (_x, _y, _epilogue) = ([], [], null);
        }
        LastParts = parts;
    }

    /// <summary>One part of the call in flight: a contiguous range of blocks.</summary>
    public void RunPart(int part, int parts)
    {
        var (b0, b1) = ParallelParts.Range(_blocks, part, parts);
        int tileRows = _g.N * _tilesH;
        for (int blk = b0; blk < b1; blk++)
        {
            int tr0 = blk * _rowsPerBlock, tr1 = Math.Min(tileRows, tr0 + _rowsPerBlock);
            RunBlock(part, tr0, tr1);
        }
    }

    private void RunBlock(int part, int tr0, int tr1)
    {
        var g = _g;
        int tiles = (tr1 - tr0) * _tilesW;
        var v = _v[part]!;
        var mm = _m[part]!;
        var patch = _patch[part]!;
        ref float input = ref MemoryMarshal.GetArrayDataReference(_x);
        bool direct = g.C == _cinP;
        int t = 0;
        for (int tr = tr0; tr < tr1; tr++)
        {
            int b = tr / _tilesH, ty = tr - b * _tilesH;
            for (int tx = 0; tx < _tilesW; tx++, t++)
            {
                int y0 = ty * _tileM - g.PadTop, x0 = tx * _tileM - g.PadLeft;
                if (direct && y0 >= 0 && y0 + Alpha <= g.H && x0 >= 0 && x0 + Alpha <= g.W)
                {
                    // The whole window is inside the image and C is whole vectors: read it in place.
                    TransformInput(ref input, (nuint)(((b * g.H + y0) * g.W + x0) * g.C), (nuint)g.C, (nuint)(g.W * g.C), v, t, tiles);
                    continue;
                }
                GatherPatch(g, b, y0, x0, patch);
                TransformInput(ref MemoryMarshal.GetArrayDataReference(patch), 0, (nuint)_cinP, (nuint)(Alpha * _cinP), v, t, tiles);
            }
        }
        int vStride = tiles * _cinP, mStride = tiles * _coutP, uStride = _cinP * _coutP;
        for (int xi = 0; xi < Tiles36; xi++)
        {
            Gemm.Multiply<float>(v.AsSpan(xi * vStride, vStride), false, _u.AsSpan(xi * uStride, uStride), false,
                mm.AsSpan(xi * mStride, mStride), tiles, _coutP, _cinP, _scratch[part]);
        }
        t = 0;
        for (int tr = tr0; tr < tr1; tr++)
        {
            int b = tr / _tilesH, ty = tr - b * _tilesH;
            for (int tx = 0; tx < _tilesW; tx++, t++)
            {
                if (_tileM == 2) TransformOutput2(mm, t, tiles, b, ty * 2, tx * 2);
                else TransformOutput4(mm, t, tiles, b, ty * 4, tx * 4);
            }
        }
        if (_epilogue is { } e)
        {
            // Tile rows [tr0, tr1) cover consecutive output rows: one contiguous span of NHWC output.
            long start = RowStart(tr0), end = RowEnd(tr1 - 1);
            e.Apply(_y.AsSpan((int)(start * g.OC), (int)((end - start) * g.OC)), g.OC);
        }
    }

    /// <summary>First output pixel (flat over the batch) of tile row <paramref name="tr"/>.</summary>
    private long RowStart(int tr)
    {
        int b = tr / _tilesH, ty = tr - b * _tilesH;
        return ((long)b * _g.OH + (long)ty * _tileM) * _g.OW;
    }

    /// <summary>One past the last output pixel of tile row <paramref name="tr"/>.</summary>
    private long RowEnd(int tr)
    {
        int b = tr / _tilesH, ty = tr - b * _tilesH;
        return ((long)b * _g.OH + Math.Min(_g.OH, (ty + 1) * _tileM)) * _g.OW;
    }

    /// <summary>The 6×6 input window at (<paramref name="y0"/>, <paramref name="x0"/>) of image <paramref name="b"/> into [36, C'] (zeros outside the image and past C).</summary>
    private void GatherPatch(in ConvGeometry g, int b, int y0, int x0, float[] patch)
    {
        int c = g.C, cp = _cinP;
        var input = _x.AsSpan(0, g.N * g.H * g.W * c);
        bool interiorX = x0 >= 0 && x0 + Alpha <= g.W;
        for (int y = 0; y < Alpha; y++)
        {
            int iy = y0 + y;
            var dst = patch.AsSpan(y * Alpha * cp, Alpha * cp);
            if ((uint)iy >= (uint)g.H)
            {
                dst.Clear();
                continue;
            }
            int rowBase = (b * g.H + iy) * g.W;
            if (interiorX && c == cp)
            {
                input.Slice((rowBase + x0) * c, Alpha * c).CopyTo(dst);
                continue;
            }
            for (int x = 0; x < Alpha; x++)
            {
                int ix = x0 + x;
                var px = dst.Slice(x * cp, cp);
                if ((uint)ix >= (uint)g.W)
                {
                    px.Clear();
                    continue;
                }
                input.Slice((rowBase + ix) * c, c).CopyTo(px);
                if (cp > c) px[c..].Clear();
            }
        }
    }

    /// <summary>
    /// Bᵀ·d·B of one 6×6 window, written to tile <paramref name="t"/> of the 36 matrices [tiles × C'];
    /// value (y, x, c) of the window is at <paramref name="src"/>[o + y·row + x·pixel + c].
    /// </summary>
    private void TransformInput(ref float src, nuint o, nuint pixel, nuint row, float[] v, int t, int tiles)
    {
        int cp = _cinP;
        nuint stride = (nuint)(tiles * cp);
        ref float dst = ref MemoryMarshal.GetArrayDataReference(v);
        Span<Vector256<float>> w = stackalloc Vector256<float>[Tiles36];
        for (int c = 0; c < cp; c += Lanes)
        {
            // Columns: w[u][x] = Σ_y Bᵀ[u][y] d[y][x].
            for (int x = 0; x < Alpha; x++)
            {
                nuint at = o + (nuint)x * pixel + (nuint)c;
                Bt(Vector256.LoadUnsafe(ref src, at), Vector256.LoadUnsafe(ref src, at + row), Vector256.LoadUnsafe(ref src, at + 2 * row),
                    Vector256.LoadUnsafe(ref src, at + 3 * row), Vector256.LoadUnsafe(ref src, at + 4 * row), Vector256.LoadUnsafe(ref src, at + 5 * row),
                    out w[x], out w[6 + x], out w[12 + x], out w[18 + x], out w[24 + x], out w[30 + x]);
            }
            // Rows: V[u][v] = Σ_x w[u][x] Bᵀ[v][x].
            nuint to = (nuint)(t * cp + c);
            for (int u = 0; u < Alpha; u++)
            {
                int r = u * Alpha;
                Bt(w[r], w[r + 1], w[r + 2], w[r + 3], w[r + 4], w[r + 5],
                    out var v0, out var v1, out var v2, out var v3, out var v4, out var v5);
                nuint d = to + (nuint)r * stride;
                v0.StoreUnsafe(ref dst, d);
                v1.StoreUnsafe(ref dst, d + stride);
                v2.StoreUnsafe(ref dst, d + 2 * stride);
                v3.StoreUnsafe(ref dst, d + 3 * stride);
                v4.StoreUnsafe(ref dst, d + 4 * stride);
                v5.StoreUnsafe(ref dst, d + 5 * stride);
            }
        }
    }

    /// <summary>Bᵀ applied to one column of six vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Bt(Vector256<float> d0, Vector256<float> d1, Vector256<float> d2, Vector256<float> d3, Vector256<float> d4, Vector256<float> d5,
        out Vector256<float> r0, out Vector256<float> r1, out Vector256<float> r2, out Vector256<float> r3, out Vector256<float> r4, out Vector256<float> r5)
    {
        var four = Vector256.Create(4f);
        var five = Vector256.Create(-5f);
        var two = Vector256.Create(2f);
        r0 = Vector256.FusedMultiplyAdd(four, d0, Vector256.FusedMultiplyAdd(five, d2, d4));
        var s12 = d1 + d2;
        var d12 = d1 - d2;
        var s34 = d3 + d4;
        var d43 = d4 - d3;
        r1 = Vector256.FusedMultiplyAdd(-four, s12, s34);
        r2 = Vector256.FusedMultiplyAdd(four, d12, d43);
        var a = d4 - d2;
        var b = d3 - d1;
        r3 = Vector256.FusedMultiplyAdd(two, b, a);
        r4 = Vector256.FusedMultiplyAdd(-two, b, a);
        r5 = Vector256.FusedMultiplyAdd(four, d1, Vector256.FusedMultiplyAdd(five, d3, d5));
    }

    /// <summary>Aᵀ·M·A for 2×2 output tiles: tile <paramref name="t"/> of the 36 product matrices into the output at (<paramref name="oy"/>, <paramref name="ox"/>).</summary>
    private void TransformOutput2(float[] mm, int t, int tiles, int b, int oy, int ox)
    {
        int cp = _coutP;
        nuint stride = (nuint)(tiles * cp);
        ref float src = ref MemoryMarshal.GetArrayDataReference(mm);
        Span<Vector256<float>> q = stackalloc Vector256<float>[2 * Alpha];
        for (int c = 0; c < cp; c += Lanes)
        {
            nuint at = (nuint)(t * cp + c);
            // Columns: q[i][v] = Σ_u Aᵀ[i][u] M[u][v].
            for (int x = 0; x < Alpha; x++)
            {
                nuint o = at + (nuint)x * stride, row = (nuint)Alpha * stride;
                var s0 = Vector256.LoadUnsafe(ref src, o);
                var s1 = Vector256.LoadUnsafe(ref src, o + row);
                var s2 = Vector256.LoadUnsafe(ref src, o + 2 * row);
                var s3 = Vector256.LoadUnsafe(ref src, o + 3 * row);
                var s4 = Vector256.LoadUnsafe(ref src, o + 4 * row);
                var s5 = Vector256.LoadUnsafe(ref src, o + 5 * row);
                At2(s0, s1, s2, s3, s4, s5, out q[x], out q[Alpha + x]);
            }
            for (int i = 0; i < 2; i++)
            {
                int r = i * Alpha;
                At2(q[r], q[r + 1], q[r + 2], q[r + 3], q[r + 4], q[r + 5], out var y0, out var y1);
                Store(y0, b, oy + i, ox, c);
                Store(y1, b, oy + i, ox + 1, c);
            }
        }
    }

    /// <summary>Aᵀ·M·A for 4×4 output tiles.</summary>
    private void TransformOutput4(float[] mm, int t, int tiles, int b, int oy, int ox)
    {
        int cp = _coutP;
        nuint stride = (nuint)(tiles * cp);
        ref float src = ref MemoryMarshal.GetArrayDataReference(mm);
        Span<Vector256<float>> q = stackalloc Vector256<float>[4 * Alpha];
        for (int c = 0; c < cp; c += Lanes)
        {
            nuint at = (nuint)(t * cp + c);
            for (int x = 0; x < Alpha; x++)
            {
                nuint o = at + (nuint)x * stride, row = (nuint)Alpha * stride;
                var s0 = Vector256.LoadUnsafe(ref src, o);
                var s1 = Vector256.LoadUnsafe(ref src, o + row);
                var s2 = Vector256.LoadUnsafe(ref src, o + 2 * row);
                var s3 = Vector256.LoadUnsafe(ref src, o + 3 * row);
                var s4 = Vector256.LoadUnsafe(ref src, o + 4 * row);
                var s5 = Vector256.LoadUnsafe(ref src, o + 5 * row);
                At4(s0, s1, s2, s3, s4, s5, out q[x], out q[Alpha + x], out q[2 * Alpha + x], out q[3 * Alpha + x]);
            }
            for (int i = 0; i < 4; i++)
            {
                int r = i * Alpha;
                At4(q[r], q[r + 1], q[r + 2], q[r + 3], q[r + 4], q[r + 5], out var y0, out var y1, out var y2, out var y3);
                Store(y0, b, oy + i, ox, c);
                Store(y1, b, oy + i, ox + 1, c);
                Store(y2, b, oy + i, ox + 2, c);
                Store(y3, b, oy + i, ox + 3, c);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void At2(Vector256<float> s0, Vector256<float> s1, Vector256<float> s2, Vector256<float> s3, Vector256<float> s4, Vector256<float> s5,
        out Vector256<float> y0, out Vector256<float> y1)
    {
        y0 = s0 + (s1 + s2) + (s3 + s4);
        y1 = Vector256.FusedMultiplyAdd(Vector256.Create(2f), s3 - s4, s1 - s2) + s5;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void At4(Vector256<float> s0, Vector256<float> s1, Vector256<float> s2, Vector256<float> s3, Vector256<float> s4, Vector256<float> s5,
        out Vector256<float> y0, out Vector256<float> y1, out Vector256<float> y2, out Vector256<float> y3)
    {
        var a = s1 + s2;
        var b = s1 - s2;
        var c = s3 + s4;
        var d = s3 - s4;
        y0 = s0 + a + c;
        y1 = Vector256.FusedMultiplyAdd(Vector256.Create(2f), d, b);
        y2 = Vector256.FusedMultiplyAdd(Vector256.Create(4f), c, a);
        y3 = Vector256.FusedMultiplyAdd(Vector256.Create(8f), d, b) + s5;
    }

    /// <summary>Channels [c, c+8) of output pixel (oy, ox) of image b, those that exist.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Store(Vector256<float> value, int b, int oy, int ox, int c)
    {
        if (oy >= _oh || ox >= _ow) return;
        int at = ((b * _oh + oy) * _ow + ox) * _oc + c;
        if (c + Lanes <= _oc) value.StoreUnsafe(ref MemoryMarshal.GetArrayDataReference(_y), (nuint)at);
        else StoreTail(value, at, _oc - c);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void StoreTail(Vector256<float> value, int at, int count)
    {
        for (int i = 0; i < count; i++) _y[at + i] = value.GetElement(i);
    }

    /// <summary>U = G·g·Gᵀ for every (input, output) channel pair: 36 matrices [C' × OC'], zero past C and OC.</summary>
    private void TransformFilter(float[] filter, in ConvGeometry g)
    {
        int r = g.KH, c = g.C, oc = g.OC, cp = _cinP, ocp = _coutP;
        int uSize = Tiles36 * cp * ocp;
        if (_u.Length < uSize) _u = new float[uSize];
        var u = _u.AsSpan(0, uSize);
        // Filter taps with OC rounded up to whole vectors.
        int taps = r * r;
        int padded = taps * c * ocp;
        if (_filterPadded.Length < padded) _filterPadded = new float[padded];
        var fp = _filterPadded.AsSpan(0, padded);
        if (ocp == oc) filter.AsSpan(0, padded).CopyTo(fp);
        else
        {
            fp.Clear();
            for (int i = 0; i < taps * c; i++) filter.AsSpan(i * oc, oc).CopyTo(fp.Slice(i * ocp, oc));
        }
        if (cp > c) u.Clear();
        var gm = FilterMatrix(r);
        ref float src = ref MemoryMarshal.GetArrayDataReference(_filterPadded);
        ref float dst = ref MemoryMarshal.GetArrayDataReference(_u);
        Span<Vector256<float>> tap = stackalloc Vector256<float>[25];
        Span<Vector256<float>> half = stackalloc Vector256<float>[Alpha * 5];
        nuint uStride = (nuint)(cp * ocp);
        for (int ci = 0; ci < c; ci++)
        {
            for (int co = 0; co < ocp; co += Lanes)
            {
                for (int k = 0; k < taps; k++) tap[k] = Vector256.LoadUnsafe(ref src, (nuint)((k * c + ci) * ocp + co));
                // half[u][kx] = Σ_ky G[u][ky] g[ky][kx].
                for (int uu = 0; uu < Alpha; uu++)
                {
                    for (int kx = 0; kx < r; kx++)
                    {
                        var s = Vector256<float>.Zero;
                        for (int ky = 0; ky < r; ky++) s += Vector256.Create(gm[uu * r + ky]) * tap[ky * r + kx];
                        half[uu * r + kx] = s;
                    }
                }
                // U[u][v] = Σ_kx half[u][kx] G[v][kx].
                nuint at = (nuint)(ci * ocp + co);
                for (int uu = 0; uu < Alpha; uu++)
                {
                    for (int vv = 0; vv < Alpha; vv++)
                    {
                        var s = Vector256<float>.Zero;
                        for (int kx = 0; kx < r; kx++) s += half[uu * r + kx] * Vector256.Create(gm[vv * r + kx]);
                        s.StoreUnsafe(ref dst, at + (nuint)(uu * Alpha + vv) * uStride);
                    }
                }
            }
        }
    }

    private static int RoundUp(int x, int to) => (x + to - 1) / to * to;

    private static void Ensure(ref float[]? buffer, int size)
    {
        if (buffer is null || buffer.Length < size) buffer = new float[Math.Max(1, size)];
    }
}
