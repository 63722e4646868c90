using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TensorGraph.Kernels;

/// <summary>
/// One GEMM call as plain data, so worker threads can run parts of it: raw pointers to the
/// (pinned for the duration of the call) operands, sizes, and how C is split between parts.
/// </summary>
internal struct GemmArgs
{
    public nint A, B, C;
    public int M, N, K;
    public bool TransA, TransB, IsDouble, SplitN;
    public GemmIsa Isa;
    public int Parts;
    public GemmScratch Scratch;

    /// <summary>A few-row product split by columns (<see cref="Gemm.FewRowsPart"/>), not a packed one.</summary>
    public bool FewRows;
}

/// <summary>
/// Packed GEMM after Goto/BLIS: C is walked in NC-wide column blocks; for each KC-deep slice a
/// KC×NC block of op(B) is packed into NR-wide micro-panels and, per MC-tall row block, an
/// MC×KC block of op(A) into MR-tall micro-panels (both transposes are absorbed by packing).
/// A register-tiled MR×NR micro-kernel then runs over the packed panels with FMA; edge tiles are
/// computed into a small tile buffer (the packs are zero-padded) and the valid part copied out.
/// </summary>
internal static class GemmPacked
{
    /// <summary>
    /// Deepest packed slice. The micro-kernel needs only NR values of B and MR of A per 2·MR·NR/W
    /// FMAs, so B micro-panels may stream from L2; deep slices mean fewer passes over C. k is cut
    /// into equal slices of at most this depth (no thin remainder slice).
    /// </summary>
    internal const int KC = 512;

    /// <summary>Rows of a packed A block (rounded to MR): MC×KC stays in L2.</summary>
    private const int MCBase = 144;

    /// <summary>Columns of a packed B block (rounded to NR).</summary>
    private const int NCBase = 2048;

    /// <summary>Below this many multiply-adds a product stays on the calling thread.</summary>
    internal const long ParallelThreshold = 96 * 96 * 96;

    private static int MR(GemmIsa isa) => isa switch { GemmIsa.Avx512 => 8, GemmIsa.Avx2 => 6, _ => 4 };

    private static int NR(GemmIsa isa, int elem) => isa switch
    {
        GemmIsa.Avx512 => 2 * 64 / elem,
        GemmIsa.Avx2 => 2 * 32 / elem,
        GemmIsa.Vector128 => 2 * 16 / elem,
        _ => 4,
    };

    private static int MC(GemmIsa isa) => MCBase / MR(isa) * MR(isa);

    private static int NC(GemmIsa isa, int elem) => NCBase / NR(isa, elem) * NR(isa, elem);

    public static unsafe void Multiply<T>(ReadOnlySpan<T> a, bool transA, ReadOnlySpan<T> b, bool transB, Span<T> c, int m, int n, int k, GemmScratch scratch)
        where T : unmanaged, INumber<T>
    {
        var isa = Gemm.EffectiveIsa;
        int elem = sizeof(T), mr = MR(isa), nr = NR(isa, elem);
        int parts = 1;
        bool splitN = m <= n;
        int maxParts = Gemm.ThreadsForCall;
        if ((long)m * n * k >= ParallelThreshold && maxParts > 1)
        {
            int tilesN = (n + nr - 1) / nr, tilesM = (m + mr - 1) / mr;
            if (splitN && tilesN < 2 * maxParts && tilesM >= 2 * maxParts) splitN = false;
            else if (!splitN && tilesM < 2 * maxParts && tilesN >= 2 * maxParts) splitN = true;
            parts = Math.Clamp(splitN ? tilesN / 2 : tilesM / 2, 1, maxParts);
        }

        fixed (T* pa = a)
        fixed (T* pb = b)
        fixed (T* pc = c)
        {
            var args = new GemmArgs
            {
                A = (nint)pa, B = (nint)pb, C = (nint)pc, M = m, N = n, K = k,
                TransA = transA, TransB = transB, IsDouble = typeof(T) == typeof(double), SplitN = splitN,
                Isa = isa, Parts = parts, Scratch = scratch,
            };
            if (parts > 1)
            {
                // Size every part's buffers here, on the calling thread, so workers never allocate.
                for (int p = 0; p < parts; p++) Reserve(in args, p);
                if (GemmPool.TryRun(in args)) return;
            }
            // Single-threaded (small, or the pool is busy with another product): part 0 is then the
            // whole of C, so its buffers are sized again for that block.
            args.Parts = 1;
            Reserve(in args, 0);
            Execute(in args, 0);
        }
    }

    /// <summary>
    /// The block of C that <paramref name="part"/> computes: rows [mBeg, mEnd) and columns [nBeg, nEnd).
    /// The one place the split is defined; packing-buffer sizes and <see cref="Macro"/> both use it.
    /// </summary>
    private static void PartRange(in GemmArgs g, int part, int mr, int nr, out int mBeg, out int mEnd, out int nBeg, out int nEnd)
    {
        mBeg = 0; mEnd = g.M; nBeg = 0; nEnd = g.N;
        if (g.Parts <= 1) return;
        if (g.SplitN)
        {
            int chunk = RoundUp((g.N + g.Parts - 1) / g.Parts, nr);
            nBeg = Math.Min(g.N, part * chunk);
            nEnd = Math.Min(g.N, nBeg + chunk);
        }
        else
        {
            int chunk = RoundUp((g.M + g.Parts - 1) / g.Parts, mr);
            mBeg = Math.Min(g.M, part * chunk);
            mEnd = Math.Min(g.M, mBeg + chunk);
        }
    }

    /// <summary>Depth of each packed k-slice: k cut into equal slices of at most <see cref="KC"/>.</summary>
    private static int KcStep(int k) => (k + (k + KC - 1) / KC - 1) / ((k + KC - 1) / KC);

    /// <summary>
    /// Bytes the packed A and B panels of <paramref name="part"/> occupy: A at most MC rows (rounded up
    /// to MR: the packs are zero-padded) by one k-slice, B at most NC columns (rounded up to NR) by one
    /// k-slice, each bounded by the part's own block of C.
    /// </summary>
    private static void PackBytes(in GemmArgs g, int part, out nint aBytes, out nint bBytes)
    {
        int elem = g.IsDouble ? sizeof(double) : sizeof(float), mr = MR(g.Isa), nr = NR(g.Isa, elem);
        PartRange(in g, part, mr, nr, out int mBeg, out int mEnd, out int nBeg, out int nEnd);
        nint kc = KcStep(g.K);
        aBytes = RoundUp(Math.Min(MC(g.Isa), mEnd - mBeg), mr) * kc * elem;
        bBytes = RoundUp(Math.Min(NC(g.Isa, elem), nEnd - nBeg), nr) * kc * elem;
    }

    /// <summary>Grows <paramref name="part"/>'s packing buffers to what <see cref="PackBytes"/> says it needs.</summary>
    private static unsafe void Reserve(in GemmArgs g, int part)
    {
        PackBytes(in g, part, out nint aBytes, out nint bBytes);
        g.Scratch.PackA(part, aBytes);
        g.Scratch.PackB(part, bBytes);
    }

    private static int RoundUp(int x, int to) => (x + to - 1) / to * to;

    /// <summary>Computes the block of C that belongs to <paramref name="part"/>.</summary>
    internal static void Execute(in GemmArgs g, int part)
    {
        if (g.FewRows) Gemm.FewRowsPart(in g, part);
        else if (g.IsDouble) Execute<double>(in g, part);
        else Execute<float>(in g, part);
    }

    private static void Execute<T>(in GemmArgs g, int part) where T : unmanaged, INumber<T>
    {
        switch (g.Isa)
        {
            case GemmIsa.Avx512: Macro<T, Avx512Kernel<T>>(in g, part); break;
            case GemmIsa.Avx2: Macro<T, Avx2Kernel<T>>(in g, part); break;
            case GemmIsa.Vector128: Macro<T, Vector128Kernel<T>>(in g, part); break;
            default: Macro<T, ScalarKernel<T>>(in g, part); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Macro<T, TK>(in GemmArgs g, int part)
        where T : unmanaged, INumber<T>
        where TK : struct, IMicroKernel<T>
    {
        int mr = TK.MR, nr = TK.NR;
        Debug.Assert(mr == MR(g.Isa) && nr == NR(g.Isa, sizeof(T)), "micro-kernel does not match the ISA the buffers were sized for");
        int m = g.M, n = g.N, k = g.K;
        PartRange(in g, part, mr, nr, out int mBeg, out int mEnd, out int nBeg, out int nEnd);
        if (mBeg >= mEnd || nBeg >= nEnd) return;

        int mcMax = MC(g.Isa);
        int ncMax = NC(g.Isa, sizeof(T));
        // Ask for exactly what this part writes: the caller reserved it (no allocation here), and
        // a buffer that was not reserved grows instead of being overrun.
        PackBytes(in g, part, out nint aBytes, out nint bBytes);
        var packA = (T*)g.Scratch.PackA(part, aBytes);
        var packB = (T*)g.Scratch.PackB(part, bBytes);
        nint aCap = aBytes / sizeof(T), bCap = bBytes / sizeof(T);
        T* a = (T*)g.A, b = (T*)g.B, c = (T*)g.C;
        T* tile = stackalloc T[mr * nr];

        int kcStep = KcStep(k);
        for (int jc = nBeg; jc < nEnd; jc += ncMax)
        {
            int nc = Math.Min(ncMax, nEnd - jc);
            for (int pc = 0; pc < k; pc += kcStep)
            {
                int kc = Math.Min(kcStep, k - pc);
                bool accumulate = pc > 0;
                PackB(b, g.TransB, n, k, jc, nc, pc, kc, packB, bCap, nr);
                for (int ic = mBeg; ic < mEnd; ic += mcMax)
                {
                    int mc = Math.Min(mcMax, mEnd - ic);
                    PackA(a, g.TransA, m, k, ic, mc, pc, kc, packA, aCap, mr);
                    for (int jr = 0; jr < nc; jr += nr)
                    {
                        int cols = Math.Min(nr, nc - jr);
                        T* pbPanel = packB + (nint)jr * kc;
                        for (int ir = 0; ir < mc; ir += mr)
                        {
                            int rows = Math.Min(mr, mc - ir);
                            T* paPanel = packA + (nint)ir * kc;
                            T* cTile = c + (nint)(ic + ir) * n + jc + jr;
                            if (rows == mr && cols == nr)
                            {
                                TK.Run(kc, paPanel, pbPanel, cTile, n, accumulate);
                            }
                            else
                            {
                                TK.Run(kc, paPanel, pbPanel, tile, nr, false);
                                for (int r = 0; r < rows; r++)
                                {
                                    T* dst = cTile + (nint)r * n;
                                    T* src = tile + r * nr;
                                    if (accumulate)
                                        for (int j = 0; j < cols; j++) dst[j] += src[j];
                                    else
                                        for (int j = 0; j < cols; j++) dst[j] = src[j];
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Packs op(A)[i0..i0+mc, p0..p0+kc] as MR-row micro-panels: panel q holds, for each p, MR
    /// consecutive rows; rows past mc are zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PackA<T>(T* a, bool transA, int m, int k, int i0, int mc, int p0, int kc, T* dst, nint capacity, int mr)
        where T : unmanaged, INumber<T>
    {
        Debug.Assert((nint)RoundUp(mc, mr) * kc <= capacity, "packed A block does not fit its buffer");
        Debug.Assert(i0 >= 0 && i0 + mc <= m && p0 >= 0 && p0 + kc <= k, "packed A block outside op(A)");
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            T* panel = dst + (nint)ir * kc;
            if (transA)
            {
                // A is stored [k, m]: the MR rows of one p are contiguous.
                T* src = a + (nint)p0 * m + i0 + ir;
                for (int p = 0; p < kc; p++, src += m)
                {
                    T* d = panel + p * mr;
                    int r = 0;
                    for (; r < rows; r++) d[r] = src[r];
                    for (; r < mr; r++) d[r] = T.Zero;
                }
            }
            else
            {
                int p8 = 0;
                if (typeof(T) == typeof(float) && mr == 8 && rows == 8 && Avx.IsSupported)
                {
                    // Eight rows at a time: 8×8 register transposes.
                    float* src = (float*)(a + (nint)(i0 + ir) * k + p0);
                    for (; p8 + 8 <= kc; p8 += 8) Transpose8x8(src + p8, k, (float*)panel + p8 * 8, 8);
                }
                for (int r = 0; r < rows; r++)
                {
                    T* src = a + (nint)(i0 + ir + r) * k + p0;
                    T* d = panel + r;
                    for (int p = p8; p < kc; p++) d[p * mr] = src[p];
                }
                for (int r = rows; r < mr; r++)
                    for (int p = 0; p < kc; p++) panel[p * mr + r] = T.Zero;
            }
        }
    }

    /// <summary>
    /// Packs op(B)[p0..p0+kc, j0..j0+nc] as NR-column micro-panels: panel q holds, for each p, NR
    /// consecutive columns; columns past nc are zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PackB<T>(T* b, bool transB, int n, int k, int j0, int nc, int p0, int kc, T* dst, nint capacity, int nr)
        where T : unmanaged, INumber<T>
    {
        Debug.Assert((nint)RoundUp(nc, nr) * kc <= capacity, "packed B block does not fit its buffer");
        Debug.Assert(j0 >= 0 && j0 + nc <= n && p0 >= 0 && p0 + kc <= k, "packed B block outside op(B)");
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            T* panel = dst + (nint)jr * kc;
            if (transB)
            {
                // B is stored [n, k]: column j of op(B) is row j of B.
                int p8 = 0;
                if (typeof(T) == typeof(float) && cols == nr && nr % 8 == 0 && Avx.IsSupported)
                {
                    for (; p8 + 8 <= kc; p8 += 8)
                        for (int j = 0; j < nr; j += 8)
                            Transpose8x8((float*)(b + (nint)(j0 + jr + j) * k + p0 + p8), k, (float*)panel + p8 * nr + j, nr);
                }
                for (int j = 0; j < cols; j++)
                {
                    T* src = b + (nint)(j0 + jr + j) * k + p0;
                    T* d = panel + j;
                    for (int p = p8; p < kc; p++) d[p * nr] = src[p];
                }
                for (int j = cols; j < nr; j++)
                    for (int p = 0; p < kc; p++) panel[p * nr + j] = T.Zero;
            }
            else
            {
                T* src = b + (nint)p0 * n + j0 + jr;
                if (cols == nr && nr * sizeof(T) == 128 && Vector512.IsHardwareAccelerated)
                {
                    for (int p = 0; p < kc; p++, src += n)
                    {
                        byte* from = (byte*)src, to = (byte*)(panel + p * nr);
                        Vector512.Store(Vector512.Load(from), to);
                        Vector512.Store(Vector512.Load(from + 64), to + 64);
                    }
                }
                else if (cols == nr)
                {
                    long bytes = (long)nr * sizeof(T);
                    for (int p = 0; p < kc; p++, src += n)
                        Buffer.MemoryCopy(src, panel + p * nr, bytes, bytes);
                }
                else
                {
                    for (int p = 0; p < kc; p++, src += n)
                    {
                        T* d = panel + p * nr;
                        int j = 0;
                        for (; j < cols; j++) d[j] = src[j];
                        for (; j < nr; j++) d[j] = T.Zero;
                    }
                }
            }
        }
    }
    /// <summary>Writes the transpose of the 8×8 float block at <paramref name="s"/> (row stride <paramref name="ss"/>) to <paramref name="d"/> (row stride <paramref name="ds"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Transpose8x8(float* s, nint ss, float* d, nint ds)
    {
        var r0 = Avx.LoadVector256(s);
        var r1 = Avx.LoadVector256(s + ss);
        var r2 = Avx.LoadVector256(s + 2 * ss);
        var r3 = Avx.LoadVector256(s + 3 * ss);
        var r4 = Avx.LoadVector256(s + 4 * ss);
        var r5 = Avx.LoadVector256(s + 5 * ss);
        var r6 = Avx.LoadVector256(s + 6 * ss);
        var r7 = Avx.LoadVector256(s + 7 * ss);
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(d + ds, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(d + 2 * ds, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(d + 3 * ds, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(d + 4 * ds, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(d + 5 * ds, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(d + 6 * ds, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(d + 7 * ds, Avx.Permute2x128(u3, u7, 0x31));
    }
}

/// <summary>An MR×NR register tile: C[MR,NR] (+)= packed A panel · packed B panel over kc steps.</summary>
internal interface IMicroKernel<T> where T : unmanaged
{
    static abstract int MR { get; }

    static abstract int NR { get; }

    static abstract unsafe void Run(int kc, T* a, T* b, T* c, nint ldc, bool accumulate);
}

/// <summary>8×(2·16) float / 8×(2·8) double tile on 512-bit FMA: 16 accumulators in zmm registers.</summary>
internal readonly struct Avx512Kernel<T> : IMicroKernel<T> where T : unmanaged, INumber<T>
{
    public static int MR => 8;

    public static int NR => 2 * Vector512<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma(Vector512<T> a, Vector512<T> b, Vector512<T> c) =>
        typeof(T) == typeof(float)
            ? Avx512F.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
            : Avx512F.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store(T* c, bool accumulate, Vector512<T> v0, Vector512<T> v1)
    {
        T* c1 = c + Vector512<T>.Count;
        if (accumulate)
        {
            v0 += Vector512.Load(c);
            v1 += Vector512.Load(c1);
        }
        v0.Store(c);
        v1.Store(c1);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Run(int kc, T* a, T* b, T* c, nint ldc, bool accumulate)
    {
        int w = Vector512<T>.Count;
        Vector512<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<T> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + w);
            var x = Vector512.Create(a[0]); c00 = Fma(x, b0, c00); c01 = Fma(x, b1, c01);
            x = Vector512.Create(a[1]); c10 = Fma(x, b0, c10); c11 = Fma(x, b1, c11);
            x = Vector512.Create(a[2]); c20 = Fma(x, b0, c20); c21 = Fma(x, b1, c21);
            x = Vector512.Create(a[3]); c30 = Fma(x, b0, c30); c31 = Fma(x, b1, c31);
            x = Vector512.Create(a[4]); c40 = Fma(x, b0, c40); c41 = Fma(x, b1, c41);
            x = Vector512.Create(a[5]); c50 = Fma(x, b0, c50); c51 = Fma(x, b1, c51);
            x = Vector512.Create(a[6]); c60 = Fma(x, b0, c60); c61 = Fma(x, b1, c61);
            x = Vector512.Create(a[7]); c70 = Fma(x, b0, c70); c71 = Fma(x, b1, c71);
            a += 8;
            b += 2 * w;
        }
        Store(c, accumulate, c00, c01); c += ldc;
        Store(c, accumulate, c10, c11); c += ldc;
        Store(c, accumulate, c20, c21); c += ldc;
        Store(c, accumulate, c30, c31); c += ldc;
        Store(c, accumulate, c40, c41); c += ldc;
        Store(c, accumulate, c50, c51); c += ldc;
        Store(c, accumulate, c60, c61); c += ldc;
        Store(c, accumulate, c70, c71);
    }
}

/// <summary>6×(2·8) float / 6×(2·4) double tile on 256-bit FMA: 12 accumulators in ymm registers.</summary>
internal readonly struct Avx2Kernel<T> : IMicroKernel<T> where T : unmanaged, INumber<T>
{
    public static int MR => 6;

    public static int NR => 2 * Vector256<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Fma(Vector256<T> a, Vector256<T> b, Vector256<T> c) =>
        typeof(T) == typeof(float)
            ? System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
            : System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store(T* c, bool accumulate, Vector256<T> v0, Vector256<T> v1)
    {
        T* c1 = c + Vector256<T>.Count;
        if (accumulate)
        {
            v0 += Vector256.Load(c);
            v1 += Vector256.Load(c1);
        }
        v0.Store(c);
        v1.Store(c1);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Run(int kc, T* a, T* b, T* c, nint ldc, bool accumulate)
    {
        int w = Vector256<T>.Count;
        Vector256<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<T> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + w);
            var x = Vector256.Create(a[0]); c00 = Fma(x, b0, c00); c01 = Fma(x, b1, c01);
            x = Vector256.Create(a[1]); c10 = Fma(x, b0, c10); c11 = Fma(x, b1, c11);
            x = Vector256.Create(a[2]); c20 = Fma(x, b0, c20); c21 = Fma(x, b1, c21);
            x = Vector256.Create(a[3]); c30 = Fma(x, b0, c30); c31 = Fma(x, b1, c31);
            x = Vector256.Create(a[4]); c40 = Fma(x, b0, c40); c41 = Fma(x, b1, c41);
            x = Vector256.Create(a[5]); c50 = Fma(x, b0, c50); c51 = Fma(x, b1, c51);
            a += 6;
            b += 2 * w;
        }
        Store(c, accumulate, c00, c01); c += ldc;
        Store(c, accumulate, c10, c11); c += ldc;
        Store(c, accumulate, c20, c21); c += ldc;
        Store(c, accumulate, c30, c31); c += ldc;
        Store(c, accumulate, c40, c41); c += ldc;
        Store(c, accumulate, c50, c51);
    }
}

/// <summary>
/// 4×(2·4) float / 4×(2·2) double tile on portable 128-bit vectors (8 accumulators), for machines
/// without AVX2 (Arm64 AdvSimd, plain SSE): fused multiply-add where the hardware has it.
/// </summary>
internal readonly struct Vector128Kernel<T> : IMicroKernel<T> where T : unmanaged, INumber<T>
{
    public static int MR => 4;

    public static int NR => 2 * Vector128<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<T> Fma(Vector128<T> a, Vector128<T> b, Vector128<T> c)
    {
        if (System.Runtime.Intrinsics.X86.Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported)
        {
            return typeof(T) == typeof(float)
                ? Vector128.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
                : Vector128.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        }
        return a * b + c;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store(T* c, bool accumulate, Vector128<T> v0, Vector128<T> v1)
    {
        T* c1 = c + Vector128<T>.Count;
        if (accumulate)
        {
            v0 += Vector128.Load(c);
            v1 += Vector128.Load(c1);
        }
        v0.Store(c);
        v1.Store(c1);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Run(int kc, T* a, T* b, T* c, nint ldc, bool accumulate)
    {
        int w = Vector128<T>.Count;
        Vector128<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector128.Load(b);
            var b1 = Vector128.Load(b + w);
            var x = Vector128.Create(a[0]); c00 = Fma(x, b0, c00); c01 = Fma(x, b1, c01);
            x = Vector128.Create(a[1]); c10 = Fma(x, b0, c10); c11 = Fma(x, b1, c11);
            x = Vector128.Create(a[2]); c20 = Fma(x, b0, c20); c21 = Fma(x, b1, c21);
            x = Vector128.Create(a[3]); c30 = Fma(x, b0, c30); c31 = Fma(x, b1, c31);
            a += 4;
            b += 2 * w;
        }
        Store(c, accumulate, c00, c01); c += ldc;
        Store(c, accumulate, c10, c11); c += ldc;
        Store(c, accumulate, c20, c21); c += ldc;
        Store(c, accumulate, c30, c31);
    }
}

/// <summary>Portable 4×4 scalar tile for machines without the vector paths.</summary>
internal readonly struct ScalarKernel<T> : IMicroKernel<T> where T : unmanaged, INumber<T>
{
    public static int MR => 4;

    public static int NR => 4;

    public static unsafe void Run(int kc, T* a, T* b, T* c, nint ldc, bool accumulate)
    {
        T c00 = T.Zero, c01 = T.Zero, c02 = T.Zero, c03 = T.Zero, c10 = T.Zero, c11 = T.Zero, c12 = T.Zero, c13 = T.Zero;
        T c20 = T.Zero, c21 = T.Zero, c22 = T.Zero, c23 = T.Zero, c30 = T.Zero, c31 = T.Zero, c32 = T.Zero, c33 = T.Zero;
        for (int p = 0; p < kc; p++)
        {
            T b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
            T x = a[0]; c00 += x * b0; c01 += x * b1; c02 += x * b2; c03 += x * b3;
            x = a[1]; c10 += x * b0; c11 += x * b1; c12 += x * b2; c13 += x * b3;
            x = a[2]; c20 += x * b0; c21 += x * b1; c22 += x * b2; c23 += x * b3;
            x = a[3]; c30 += x * b0; c31 += x * b1; c32 += x * b2; c33 += x * b3;
            a += 4;
            b += 4;
        }
        Row(c, accumulate, c00, c01, c02, c03); c += ldc;
        Row(c, accumulate, c10, c11, c12, c13); c += ldc;
        Row(c, accumulate, c20, c21, c22, c23); c += ldc;
        Row(c, accumulate, c30, c31, c32, c33);
    }

    private static unsafe void Row(T* c, bool accumulate, T v0, T v1, T v2, T v3)
    {
        if (accumulate)
        {
            c[0] += v0; c[1] += v1; c[2] += v2; c[3] += v3;
        }
        else
        {
            c[0] = v0; c[1] = v1; c[2] = v2; c[3] = v3;
        }
    }
}
