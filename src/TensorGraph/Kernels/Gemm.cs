using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TensorGraph.Kernels;

/// <summary>Instruction set a GEMM micro-kernel is built on.</summary>
internal enum GemmIsa
{
    /// <summary>Portable scalar micro-kernel.</summary>
    Scalar = 0,

    /// <summary>Portable 128-bit vectors (SSE, AdvSimd, ...) through <see cref="System.Runtime.Intrinsics.Vector128"/>.</summary>
    Vector128 = 1,

    /// <summary>256-bit vectors with FMA (AVX2 + FMA3).</summary>
    Avx2 = 2,

    /// <summary>512-bit vectors with FMA (AVX-512F).</summary>
    Avx512 = 3,
}

/// <summary>
/// Dense matrix multiply C = op(A)·op(B) on row-major storage, where op transposes when asked.
/// float32/float64 go through a packed, cache-blocked, register-tiled implementation
/// (<see cref="GemmPacked"/>) split over cores by <see cref="GemmPool"/>; a few-row product
/// streams rows instead of packing; integer types use a row-streaming reference loop.
/// </summary>
internal static class Gemm
{
    private static GemmIsa? s_forcedIsa;
    private static int s_maxThreads = Environment.ProcessorCount;

    /// <summary>Best micro-kernel this machine supports.</summary>
    public static GemmIsa HardwareIsa =>
        Avx512F.IsSupported ? GemmIsa.Avx512
        : Avx2.IsSupported && Fma.IsSupported ? GemmIsa.Avx2
        : System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated ? GemmIsa.Vector128
        : GemmIsa.Scalar;

    /// <summary>Caps the micro-kernel instruction set (tests use it to run every path); null = best available.</summary>
    public static GemmIsa? ForcedIsa
    {
        get => s_forcedIsa;
        set => s_forcedIsa = value;
    }

    /// <summary>Most threads one product may use (defaults to the processor count; tests may ask for more).</summary>
    public static int MaxThreads
    {
        get => s_maxThreads;
        set => s_maxThreads = Math.Max(1, value);
    }

    [ThreadStatic]
    private static int t_runThreads;

    /// <summary>
    /// The session's intra-op thread count for products computed on this thread (set by the
    /// executor for the length of a run; 0 = no cap beyond <see cref="MaxThreads"/>).
    /// </summary>
    public static int RunThreadLimit
    {
        get => t_runThreads;
        set => t_runThreads = Math.Max(0, value);
    }

    /// <summary>Most threads the next product on this thread may use: <see cref="MaxThreads"/>, capped by <see cref="RunThreadLimit"/>.</summary>
    public static int ThreadsForCall => t_runThreads > 0 ? Math.Min(t_runThreads, s_maxThreads) : s_maxThreads;

    /// <summary>The instruction set the next call will use.</summary>
    public static GemmIsa EffectiveIsa
    {
        get
        {
            var hw = HardwareIsa;
            return s_forcedIsa is { } f && f < hw ? f : hw;
        }
    }

    /// <summary>Products with fewer rows than this stream rows of B instead of packing.</summary>
    internal const int SmallRows = 4;

    /// <summary>C[m,n] = sum_k op(A)[m,k] op(B)[k,n]; <paramref name="scratch"/> keeps packing buffers between calls.</summary>
    public static void Multiply<T>(ReadOnlySpan<T> a, bool transA, ReadOnlySpan<T> b, bool transB, Span<T> c, int m, int n, int k, GemmScratch scratch)
        where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(scratch);
        if (m == 0 || n == 0) return;
        if (a.Length < m * k || b.Length < k * n || c.Length < m * n)
            throw new ArgumentException("GEMM operand is smaller than its dimensions.");
        if (k == 0)
        {
            c[..(m * n)].Clear();
            return;
        }
        if (typeof(T) == typeof(float) || typeof(T) == typeof(double))
        {
            if (m >= SmallRows) GemmPacked.Multiply(a, transA, b, transB, c, m, n, k, scratch);
            else if (!FewRowsInParallel(a, transA, b, transB, c, m, n, k, scratch)) FewRows(a, transA, b, transB, c, m, n, k, scratch, 0, n, 0);
            return;
        }
        Reference(a, transA, b, transB, c, m, n, k, scratch);
    }

    /// <summary>Few-row products at least this large (multiply-adds) split their columns across the GEMM workers.</summary>
    internal const long FewRowsParallelThreshold = 1 << 17;

    /// <summary>Splits a few-row product's columns across the worker pool; false when it is too small or the pool is busy.</summary>
    private static unsafe bool FewRowsInParallel<T>(ReadOnlySpan<T> a, bool transA, ReadOnlySpan<T> b, bool transB, Span<T> c, int m, int n, int k, GemmScratch scratch)
        where T : unmanaged, INumber<T>
    {
        int parts = Math.Min(ThreadsForCall, n / 64);
        if (parts < 2 || (long)m * n * k < FewRowsParallelThreshold) return false;
        // Each part gathers its own column of A when A is transposed: size the buffers here.
        if (transA) for (int p = 0; p < parts; p++) scratch.PackA(p, (nint)k * sizeof(T));
        fixed (T* pa = a)
        fixed (T* pb = b)
        fixed (T* pc = c)
        {
            var args = new GemmArgs
            {
                A = (nint)pa, B = (nint)pb, C = (nint)pc, M = m, N = n, K = k,
                TransA = transA, TransB = transB, IsDouble = typeof(T) == typeof(double), SplitN = true,
                Isa = EffectiveIsa, Parts = parts, Scratch = scratch, FewRows = true,
            };
            return GemmPool.TryRun(in args);
        }
    }

    /// <summary>Part <paramref name="part"/> of a few-row product run by the pool: a contiguous range of columns.</summary>
    internal static unsafe void FewRowsPart(in GemmArgs g, int part)
    {
        int chunk = (g.N + g.Parts - 1) / g.Parts;
        chunk = (chunk + 15) / 16 * 16;
        int beg = Math.Min(g.N, part * chunk), end = Math.Min(g.N, beg + chunk);
        if (beg >= end) return;
        if (g.IsDouble) Run<double>(in g, beg, end, part);
        else Run<float>(in g, beg, end, part);

        static void Run<T>(in GemmArgs g, int beg, int end, int part) where T : unmanaged, INumber<T>
        {
            var a = new ReadOnlySpan<T>((void*)g.A, g.M * g.K);
            var b = new ReadOnlySpan<T>((void*)g.B, g.K * g.N);
            var c = new Span<T>((void*)g.C, g.M * g.N);
            FewRows(a, g.TransA, b, g.TransB, c, g.M, g.N, g.K, g.Scratch, beg, end, part);
        }
    }

    /// <summary>
    /// A product with a handful of rows (vector-matrix) for columns [<paramref name="nBeg0"/>,
    /// <paramref name="nEnd"/>): dot products or scaled row sums, no packing.
    /// </summary>
    private static unsafe void FewRows<T>(ReadOnlySpan<T> a, bool transA, ReadOnlySpan<T> b, bool transB, Span<T> c, int m, int n, int k, GemmScratch scratch,
        int nBeg0, int nEnd, int part)
        where T : unmanaged, INumber<T>
    {
        Span<T> gathered = transA ? new Span<T>(scratch.PackA(part, (nint)k * sizeof(T)), k) : default;
        for (int i = 0; i < m; i++)
        {
            ReadOnlySpan<T> arow;
            if (transA)
            {
                for (int p = 0; p < k; p++) gathered[p] = a[p * m + i];
                arow = gathered;
            }
            else
            {
                arow = a.Slice(i * k, k);
            }
            int width = nEnd - nBeg0;
            int nBeg = nBeg0;
            var crow = c.Slice(i * n + nBeg, width);
            if (transB)
            {
                for (int j = 0; j < width; j++) crow[j] = TensorPrimitives.Dot(arow, b.Slice((nBeg + j) * k, k));
            }
            else
            {
                int done = 0;
                if (typeof(T) == typeof(float) || typeof(T) == typeof(double))
                {
                    fixed (T* pa = arow)
                    fixed (T* pb = b)
                    fixed (T* pc = crow)
                    {
                        done = EffectiveIsa switch
                        {
                            GemmIsa.Avx512 => RowTimesB512(pa, pb + nBeg, pc, n, k, width),
                            GemmIsa.Avx2 => RowTimesB256(pa, pb + nBeg, pc, n, k, width),
                            _ => 0,
                        };
                    }
                }
                if (done == width) continue;
                crow = crow[done..];
                width -= done;
                nBeg += done;
                crow.Clear();
                for (int p = 0; p < k; p++)
                {
                    T aip = arow[p];
                    // Skipping zeros is only safe for integers: 0 · NaN and 0 · Inf must stay NaN for floats.
                    if (typeof(T) != typeof(float) && typeof(T) != typeof(double) && T.IsZero(aip)) continue;
                    TensorPrimitives.MultiplyAdd(b.Slice(p * n + nBeg, width), aip, crow, crow);
                }
            }
        }
    }

    /// <summary>
    /// crow[0, width) = arow · B[:, 0, width) for row-major B with row stride <paramref name="n"/>:
    /// blocks of four 512-bit column vectors accumulate in registers over all of k (one FMA chain
    /// per column, in k order), so C is written once instead of once per k. Returns the columns
    /// done; the caller finishes the last partial vector.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe int RowTimesB512<T>(T* arow, T* b, T* crow, int n, int k, int width) where T : unmanaged, INumber<T>
    {
        int w = Vector512<T>.Count, j = 0;
        for (; j + 4 * w <= width; j += 4 * w)
        {
            Vector512<T> c0 = default, c1 = default, c2 = default, c3 = default;
            T* bp = b + j;
            for (int p = 0; p < k; p++, bp += n)
            {
                var x = Vector512.Create(arow[p]);
                c0 = Fma512(x, Vector512.Load(bp), c0);
                c1 = Fma512(x, Vector512.Load(bp + w), c1);
                c2 = Fma512(x, Vector512.Load(bp + 2 * w), c2);
                c3 = Fma512(x, Vector512.Load(bp + 3 * w), c3);
            }
            c0.Store(crow + j);
            c1.Store(crow + j + w);
            c2.Store(crow + j + 2 * w);
            c3.Store(crow + j + 3 * w);
        }
        for (; j + w <= width; j += w)
        {
            Vector512<T> c0 = default;
            T* bp = b + j;
            for (int p = 0; p < k; p++, bp += n) c0 = Fma512(Vector512.Create(arow[p]), Vector512.Load(bp), c0);
            c0.Store(crow + j);
        }
        return j;
    }

    /// <summary><see cref="RowTimesB512{T}"/> on 256-bit vectors with FMA3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe int RowTimesB256<T>(T* arow, T* b, T* crow, int n, int k, int width) where T : unmanaged, INumber<T>
    {
        int w = Vector256<T>.Count, j = 0;
        for (; j + 4 * w <= width; j += 4 * w)
        {
            Vector256<T> c0 = default, c1 = default, c2 = default, c3 = default;
            T* bp = b + j;
            for (int p = 0; p < k; p++, bp += n)
            {
                var x = Vector256.Create(arow[p]);
                c0 = Fma256(x, Vector256.Load(bp), c0);
                c1 = Fma256(x, Vector256.Load(bp + w), c1);
                c2 = Fma256(x, Vector256.Load(bp + 2 * w), c2);
                c3 = Fma256(x, Vector256.Load(bp + 3 * w), c3);
            }
            c0.Store(crow + j);
            c1.Store(crow + j + w);
            c2.Store(crow + j + 2 * w);
            c3.Store(crow + j + 3 * w);
        }
        for (; j + w <= width; j += w)
        {
            Vector256<T> c0 = default;
            T* bp = b + j;
            for (int p = 0; p < k; p++, bp += n) c0 = Fma256(Vector256.Create(arow[p]), Vector256.Load(bp), c0);
            c0.Store(crow + j);
        }
        return j;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma512<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c) where T : unmanaged, INumber<T> =>
        typeof(T) == typeof(float)
            ? Avx512F.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
            : Avx512F.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Fma256<T>(Vector256<T> a, Vector256<T> b, Vector256<T> c) where T : unmanaged, INumber<T> =>
        typeof(T) == typeof(float)
            ? Fma.MultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
            : Fma.MultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();

    /// <summary>Row-streaming reference: each output row accumulates scaled rows of B (transposed B copied first).</summary>
    internal static void Reference<T>(ReadOnlySpan<T> a, bool transA, ReadOnlySpan<T> b, bool transB, Span<T> c, int m, int n, int k, GemmScratch scratch)
        where T : unmanaged, INumber<T>
    {
        c[..(m * n)].Clear();
        if (m == 0 || n == 0 || k == 0) return;
        ReadOnlySpan<T> bRows = b;
        if (transB)
        {
            // B is stored [n, k]; make it [k, n].
            if (scratch.Reference is not T[] buf || buf.Length < k * n) scratch.Reference = buf = new T[k * n];
            var s = buf.AsSpan(0, k * n);
            for (int j = 0; j < n; j++)
                for (int p = 0; p < k; p++) s[p * n + j] = b[j * k + p];
            bRows = s;
        }
        for (int i = 0; i < m; i++)
        {
            var crow = c.Slice(i * n, n);
            for (int p = 0; p < k; p++)
            {
                T aip = transA ? a[p * m + i] : a[i * k + p];
                // Skipping zeros is only safe for integers: 0 · NaN and 0 · Inf must stay NaN for floats.
                if (typeof(T) != typeof(float) && typeof(T) != typeof(double) && T.IsZero(aip)) continue;
                TensorPrimitives.MultiplyAdd(bRows.Slice(p * n, n), aip, crow, crow);
            }
        }
    }
}

/// <summary>
/// Buffers a GEMM caller keeps between calls: 64-byte aligned, pinned packing panels per thread
/// part, plus the reference path's transposed copy. Grown on demand, never shrunk. One per kernel
/// instance (one product at a time); the parts of that product may ask for their buffers from
/// several threads.
/// </summary>
internal sealed class GemmScratch
{
    private Pinned?[] _a = [];
    private Pinned?[] _b = [];

    /// <summary>The reference path's transposed B (a T[]).</summary>
    internal object? Reference { get; set; }

    /// <summary>Aligned buffer of at least <paramref name="bytes"/> bytes for packed A of thread part <paramref name="part"/>.</summary>
    internal unsafe void* PackA(int part, nint bytes) => Get(ref _a, part, bytes);

    /// <summary>Aligned buffer of at least <paramref name="bytes"/> bytes for packed B of thread part <paramref name="part"/>.</summary>
    internal unsafe void* PackB(int part, nint bytes) => Get(ref _b, part, bytes);

    private readonly object _lock = new();

    /// <summary>
    /// The buffer of <paramref name="part"/>, grown to at least <paramref name="bytes"/> first. Worker
    /// threads ask for their part's buffer too (the caller has reserved it, so nothing is allocated
    /// then), hence the lock: a part's buffer is replaced only by a request for that part, which one
    /// thread makes per product, and the set is never resized under another thread.
    /// </summary>
    private unsafe void* Get(ref Pinned?[] set, int part, nint bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(part);
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        lock (_lock)
        {
            if (set.Length <= part) Array.Resize(ref set, Math.Max(part + 1, Environment.ProcessorCount));
            var p = set[part];
            if (p is null || p.Bytes < bytes) set[part] = p = new Pinned(bytes);
            return (void*)p.Aligned;
        }
    }

    private sealed class Pinned
    {
        private const int Align = 64;
        private readonly byte[] _array;

        public Pinned(nint bytes)
        {
            _array = GC.AllocateUninitializedArray<byte>(checked((int)bytes + Align), pinned: true);
            unsafe
            {
                nint start = (nint)System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(_array));
                Aligned = (start + Align - 1) & ~(nint)(Align - 1);
            }
            Bytes = bytes;
        }

        public nint Bytes { get; }

        public nint Aligned { get; }
    }
}
