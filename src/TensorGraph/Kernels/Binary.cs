using System.Runtime.CompilerServices;
using TensorGraph.Runtime;

namespace TensorGraph.Kernels;

/// <summary>A scalar binary function with optional vectorized span forms.</summary>
internal interface IBinaryFunctor<TSelf, T, TOut> where TSelf : IBinaryFunctor<TSelf, T, TOut>
{
    static abstract TOut Apply(T x, T y);

    static virtual void Span(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<TOut> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = TSelf.Apply(x[i], y[i]);
    }

    static virtual void SpanScalar(ReadOnlySpan<T> x, T y, Span<TOut> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = TSelf.Apply(x[i], y);
    }

    static virtual void ScalarSpan(T x, ReadOnlySpan<T> y, Span<TOut> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = TSelf.Apply(x, y[i]);
    }
}

/// <summary>Element-wise binary kernel with numpy broadcasting and fast paths for equal shapes, scalars and rows.</summary>
internal sealed class BinaryKernel<T, TOut, TFunctor> : OpKernel, IParallelParts where TFunctor : struct, IBinaryFunctor<TFunctor, T, TOut>
{
    private readonly DType _outType;

    // The call in flight while it runs in parts.
    private Tensor? _a, _b, _o;
    // The length of the trailing-dims operand when the call splits by rows; 0 when by ranges.
    private int _rowLength;

    public BinaryKernel(DType outType) => _outType = outType;

    public override void Compute(OpContext ctx)
    {
        var a = ctx.Input(0);
        var b = ctx.Input(1);
        Span<int> outDims = stackalloc int[Math.Max(a.Rank, b.Rank)];
        Broadcast.Dims(a.Dims, b.Dims, outDims);
        var o = ctx.AllocateOutput(0, _outType, outDims);
        // Equal shapes and tensor-scalar pairs split into ranges across cores when large; a
        // tensor with a trailing-dims operand (a bias row) splits into runs of whole rows.
        int size = o.Size, parts = ElementwiseParts.For(size);
        _rowLength = 0;
        if (parts > 1 && !((a.Size == size || a.Size == 1) && (b.Size == size || b.Size == 1)))
        {
            if (a.Size == size && b.Size > 0 && Broadcast.IsSuffix(b.Dims, o.Dims)) _rowLength = b.Size;
            else if (b.Size == size && a.Size > 0 && Broadcast.IsSuffix(a.Dims, o.Dims)) _rowLength = a.Size;
            else parts = 1;
            if (_rowLength > 0) parts = Math.Min(parts, size / _rowLength);
        }
        if (parts > 1)
        {
            (_a, _b, _o) = (a, b, o);
            ElementwiseParts.Count();
            try
            {
                ParallelParts.Run(this, parts);
            }
            finally
            {
                (_a, _b, _o) = (null, null, null);
            }
            return;
        }
        Run(a, b, o);
    }

    public void RunPart(int part, int parts)
    {
        var x = _a!.Span<T>();
        var y = _b!.Span<T>();
        if (_rowLength > 0)
        {
            // Rows r0..r1 of the full operand, each against the whole trailing-dims operand (as Run does).
            int n = _rowLength;
            var (r0, r1) = ParallelParts.Range(_o!.Size / n, part, parts);
            var dst = _o.Span<TOut>();
            for (int off = r0 * n; off < r1 * n; off += n)
            {
                if (y.Length == n) TFunctor.Span(x.Slice(off, n), y, dst.Slice(off, n));
                else TFunctor.Span(x, y.Slice(off, n), dst.Slice(off, n));
            }
            return;
        }
        var (start, count) = ElementwiseParts.Range(_o!.Size, part, parts);
        if (count == 0) return;
        var d = _o.Span<TOut>().Slice(start, count);
        if (y.Length == 1) TFunctor.SpanScalar(x.Slice(start, count), y[0], d);
        else if (x.Length == 1) TFunctor.ScalarSpan(x[0], y.Slice(start, count), d);
        else TFunctor.Span(x.Slice(start, count), y.Slice(start, count), d);
    }

    public static void Run(Tensor a, Tensor b, Tensor o)
    {
        var x = a.Span<T>();
        var y = b.Span<T>();
        var d = o.Span<TOut>();
        if (d.Length == 0) return;
        if (x.Length == d.Length && y.Length == d.Length) { TFunctor.Span(x, y, d); return; }
        if (y.Length == 1 && x.Length == d.Length) { TFunctor.SpanScalar(x, y[0], d); return; }
        if (x.Length == 1 && y.Length == d.Length) { TFunctor.ScalarSpan(x[0], y, d); return; }
        if (x.Length == d.Length && Broadcast.IsSuffix(b.Dims, o.Dims))
        {
            int n = y.Length;
            for (int off = 0; off < d.Length; off += n) TFunctor.Span(x.Slice(off, n), y, d.Slice(off, n));
            return;
        }
        if (y.Length == d.Length && Broadcast.IsSuffix(a.Dims, o.Dims))
        {
            int n = x.Length;
            for (int off = 0; off < d.Length; off += n) TFunctor.Span(x, y.Slice(off, n), d.Slice(off, n));
            return;
        }
        General(a, b, o, x, y, d);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void General(Tensor a, Tensor b, Tensor o, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<TOut> d)
    {
        var od = o.Dims;
        int rank = od.Length;
        Span<int> sa = stackalloc int[rank];
        Span<int> sb = stackalloc int[rank];
        Span<int> idx = stackalloc int[rank];
        Broadcast.Strides(a.Dims, od, sa);
        Broadcast.Strides(b.Dims, od, sb);
        idx.Clear();
        int inner = od[rank - 1];
        int ia = 0, ib = 0, k = 0;
        int sai = sa[rank - 1], sbi = sb[rank - 1];
        while (k < d.Length)
        {
            int pa = ia, pb = ib;
            for (int j = 0; j < inner; j++, pa += sai, pb += sbi) d[k++] = TFunctor.Apply(x[pa], y[pb]);
            for (int dim = rank - 2; dim >= 0; dim--)
            {
                idx[dim]++;
                ia += sa[dim];
                ib += sb[dim];
                if (idx[dim] < od[dim]) break;
                ia -= sa[dim] * idx[dim];
                ib -= sb[dim] * idx[dim];
                idx[dim] = 0;
            }
        }
    }
}

/// <summary>Creates binary kernels for a dtype from an open generic functor struct such as <c>AddFunctor&lt;&gt;</c>.</summary>
internal static class BinaryKernels
{
    /// <summary>Kernel for a functor struct <c>TFunctor&lt;T&gt; : IBinaryFunctor</c>.</summary>
    public static OpKernel Same(Type openOp, DType dtype) => Make(openOp, dtype, dtype);

    /// <summary>Kernel for a functor struct <c>TFunctor&lt;T&gt; : IBinaryFunctor</c> with output dtype <paramref name="outType"/>.</summary>
    public static OpKernel Make(Type openOp, DType inType, DType outType) =>
        ElementwiseKernels.Make(typeof(BinaryKernel<,,>), openOp, inType, outType);
}

/// <summary>Instantiates a generic element-wise kernel for the dtypes of one node.</summary>
internal static class ElementwiseKernels
{
    /// <summary>
    /// <paramref name="openKernel"/>&lt;T, TOut, TFunctor&lt;T&gt;&gt; for the .NET types of the dtypes;
    /// a dtype the functor struct's constraints reject is Unimplemented.
    /// </summary>
    public static OpKernel Make(Type openKernel, Type openOp, DType inType, DType outType)
    {
        var t = inType.ClrType();
        Type op;
        try
        {
            op = openOp.IsGenericTypeDefinition ? openOp.MakeGenericType(t) : openOp;
        }
        catch (ArgumentException)
        {
            throw new UnimplementedException($"No kernel for dtype {inType.Name()}");
        }
        var k = openKernel.MakeGenericType(t, outType.ClrType(), op);
        return (OpKernel)Activator.CreateInstance(k, outType)!;
    }
}
