using System.Numerics;
using System.Numerics.Tensors;
using TensorGraph.Runtime;

namespace TensorGraph.Kernels;

/// <summary>An associative reduction with an identity element.</summary>
internal interface IReducer<TSelf, T> where TSelf : IReducer<TSelf, T> where T : INumber<T>
{
    static abstract T Identity { get; }

    static abstract T Combine(T a, T b);

    /// <summary>Reduces a contiguous span.</summary>
    static virtual T ReduceSpan(ReadOnlySpan<T> x)
    {
        T acc = TSelf.Identity;
        foreach (var v in x) acc = TSelf.Combine(acc, v);
        return acc;
    }

    /// <summary>acc[i] = Combine(acc[i], x[i]).</summary>
    static virtual void CombineSpan(ReadOnlySpan<T> x, Span<T> acc)
    {
        for (int i = 0; i < acc.Length; i++) acc[i] = TSelf.Combine(acc[i], x[i]);
    }
}

internal readonly struct SumReducer<T> : IReducer<SumReducer<T>, T> where T : INumber<T>
{
    public static T Identity => T.Zero;
    public static T Combine(T a, T b) => a + b;
    public static T ReduceSpan(ReadOnlySpan<T> x) => TensorPrimitives.Sum(x);
    public static void CombineSpan(ReadOnlySpan<T> x, Span<T> acc) => TensorPrimitives.Add(acc, x, acc);
}

internal readonly struct ProdReducer<T> : IReducer<ProdReducer<T>, T> where T : INumber<T>
{
    public static T Identity => T.One;
    public static T Combine(T a, T b) => a * b;
    public static void CombineSpan(ReadOnlySpan<T> x, Span<T> acc) => TensorPrimitives.Multiply(acc, x, acc);
}

internal readonly struct MaxReducer<T> : IReducer<MaxReducer<T>, T> where T : INumber<T>
{
    public static T Identity => T.CreateSaturating(double.NegativeInfinity);
    public static T Combine(T a, T b) => b > a || T.IsNaN(b) ? b : a;
}

internal readonly struct MinReducer<T> : IReducer<MinReducer<T>, T> where T : INumber<T>
{
    public static T Identity => T.CreateSaturating(double.PositiveInfinity);
    public static T Combine(T a, T b) => b < a || T.IsNaN(b) ? b : a;
}

/// <summary>
/// Reduction kernel over any set of axes (input 1), with keep_dims. Fast paths for full,
/// trailing and leading reductions; a strided walk otherwise. <c>Mean</c> divides the sum by
/// the group size (integer division for integer types, as TF). Large contiguous reductions that
/// keep an axis split across cores (<see cref="ElementwiseParts"/>): by output rows when the
/// reduced axes are trailing, by ranges of output columns otherwise; each output element is
/// combined in the same order either way, so the split gives the serial bits. A full reduction
/// to one value stays on one thread (splitting it would change the summation order).
/// </summary>
internal sealed class ReduceKernel<T, TR>(bool keepDims, bool mean) : OpKernel, IParallelParts
    where T : INumber<T> where TR : struct, IReducer<TR, T>
{
    // The call in flight while it runs in parts: (outer kept) x (reduced) x (inner kept) sizes.
    private Tensor? _src, _dst;
    private int _outer, _mid, _inner;
    private bool _byRows;

    public override void Compute(OpContext ctx)
    {
        var x = ctx.Input(0);
        var axesT = ctx.Input(1);
        int rank = x.Rank;
        Span<bool> reduce = stackalloc bool[Math.Max(rank, 1)];
        reduce.Clear();
        for (int i = 0; i < axesT.Size; i++)
        {
            long a = axesT.GetInt64(i);
            if (a < -rank || a >= rank) throw new InvalidArgumentException($"Invalid reduction dimension ({a} for input with {rank} dimension(s))");
            reduce[(int)(a < 0 ? a + rank : a)] = true;
        }
        var xd = x.Dims;
        Span<int> outDims = stackalloc int[rank];
        int outRank = 0;
        long group = 1;
        for (int i = 0; i < rank; i++)
        {
            if (reduce[i]) { group *= xd[i]; if (keepDims) outDims[outRank++] = 1; }
            else outDims[outRank++] = xd[i];
        }
        var o = ctx.AllocateOutput(0, x.DType, outDims[..outRank]);
        var src = x.Span<T>();
        var dst = o.Span<T>();
        if (!TrySplit(x, o, xd, reduce[..rank])) Reduce(src, xd, reduce[..rank], dst);
        if (mean)
        {
            if (group == 0 && !(typeof(T) == typeof(float) || typeof(T) == typeof(double)))
                throw new InvalidArgumentException("The mean over an empty axis of an integer tensor is undefined");
            var n = T.CreateTruncating(group);
            for (int i = 0; i < dst.Length; i++) dst[i] /= n;
        }
    }

    /// <summary>Runs a large contiguous reduction that keeps an axis in parts; false when it is not one.</summary>
    private bool TrySplit(Tensor x, Tensor o, ReadOnlySpan<int> dims, ReadOnlySpan<bool> reduce)
    {
        if (x.Size < 2 * ElementwiseParts.MinElementsPerPart || o.Size < 2) return false;
        if (!Contiguous(dims, reduce, out long outer, out long mid, out long inner) || mid < 2) return false;
        int parts = ElementwiseParts.For(x.Size);
        // Split the kept outer rows when there are enough of them, else ranges of the kept inner columns (64 or more each).
        _byRows = outer >= parts;
        parts = Math.Min(parts, _byRows ? (int)outer : (int)Math.Max(1, inner / 64));
        if (parts <= 1) return false;
        (_src, _dst, _outer, _mid, _inner) = (x, o, (int)outer, (int)mid, (int)inner);
        ElementwiseParts.Count();
        try
        {
            ParallelParts.Run(this, parts);
        }
        finally
        {
            (_src, _dst) = (null, null);
        }
        return true;
    }

    public void RunPart(int part, int parts)
    {
        var src = _src!.Span<T>();
        var dst = _dst!.Span<T>();
        int m = _mid, n = _inner;
        var (o0, o1) = _byRows ? ParallelParts.Range(_outer, part, parts) : (0, _outer);
        var (c, count) = _byRows ? (0, n) : ElementwiseParts.Range(n, part, parts);
        if (count == 0) return;
        for (int o = o0; o < o1; o++)
        {
            if (n == 1)
            {
                dst[o] = TR.ReduceSpan(src.Slice(o * m, m));
                continue;
            }
            var acc = dst.Slice(o * n + c, count);
            src.Slice(o * m * n + c, count).CopyTo(acc);
            for (int r = 1; r < m; r++) TR.CombineSpan(src.Slice((o * m + r) * n + c, count), acc);
        }
    }

    /// <summary>Whether the reduced axes (those of size 1 aside) are adjacent: then the input is (outer) x (mid, reduced) x (inner).</summary>
    private static bool Contiguous(ReadOnlySpan<int> dims, ReadOnlySpan<bool> reduce, out long outer, out long mid, out long inner)
    {
        int rank = dims.Length;
        (outer, mid, inner) = (1, 1, 1);
        int first = -1, last = -1;
        for (int i = 0; i < rank; i++) if (reduce[i] && dims[i] != 1) { if (first < 0) first = i; last = i; }
        if (first < 0) return false;
        for (int i = first; i <= last; i++) if (!reduce[i] && dims[i] != 1) return false;
        for (int i = 0; i < first; i++) outer *= dims[i];
        for (int i = first; i <= last; i++) mid *= dims[i];
        for (int i = last + 1; i < rank; i++) inner *= dims[i];
        return true;
    }

    private static void Reduce(ReadOnlySpan<T> src, ReadOnlySpan<int> dims, ReadOnlySpan<bool> reduce, Span<T> dst)
    {
        int rank = dims.Length;
        if (dst.Length == 0) return;
        if (src.Length == 0) { dst.Fill(TR.Identity); return; }
        // Collapse to (outer kept) x (reduced) x (inner kept) when the reduced axes are contiguous.
        bool any = false;
        for (int i = 0; i < rank; i++) any |= reduce[i] && dims[i] != 1;
        if (!any) { src.CopyTo(dst); return; }
        if (Contiguous(dims, reduce, out long outer, out long mid, out long inner))
        {
            int m = (int)mid, n = (int)inner;
            if (n == 1)
            {
                for (int o = 0; o < (int)outer; o++) dst[o] = TR.ReduceSpan(src.Slice(o * m, m));
                return;
            }
            for (int o = 0; o < (int)outer; o++)
            {
                var acc = dst.Slice(o * n, n);
                src.Slice(o * m * n, n).CopyTo(acc);
                for (int r = 1; r < m; r++) TR.CombineSpan(src.Slice((o * m + r) * n, n), acc);
            }
            return;
        }
        General(src, dims, reduce, dst);
    }

    private static void General(ReadOnlySpan<T> src, ReadOnlySpan<int> dims, ReadOnlySpan<bool> reduce, Span<T> dst)
    {
        int rank = dims.Length;
        Span<int> ostride = stackalloc int[rank];
        int s = 1;
        for (int i = rank - 1; i >= 0; i--)
        {
            ostride[i] = reduce[i] ? 0 : s;
            if (!reduce[i]) s *= dims[i];
        }
        dst.Fill(TR.Identity);
        Span<int> idx = stackalloc int[rank];
        idx.Clear();
        int off = 0;
        for (int k = 0; k < src.Length; k++)
        {
            dst[off] = TR.Combine(dst[off], src[k]);
            for (int d = rank - 1; d >= 0; d--)
            {
                idx[d]++;
                off += ostride[d];
                if (idx[d] < dims[d]) break;
                off -= ostride[d] * idx[d];
                idx[d] = 0;
            }
        }
    }
}
