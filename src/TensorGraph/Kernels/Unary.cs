using TensorGraph.Runtime;

namespace TensorGraph.Kernels;

/// <summary>A scalar unary function with an optional vectorized span form.</summary>
internal interface IUnaryFunctor<TSelf, T, TOut> where TSelf : IUnaryFunctor<TSelf, T, TOut>
{
    static abstract TOut Apply(T x);

    static virtual void Span(ReadOnlySpan<T> x, Span<TOut> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = TSelf.Apply(x[i]);
    }
}

/// <summary>Element-wise unary kernel; a large tensor is split into aligned ranges across the GEMM pool (<see cref="ElementwiseParts"/>).</summary>
internal sealed class UnaryKernel<T, TOut, TFunctor>(DType outType) : OpKernel, IParallelParts where TFunctor : struct, IUnaryFunctor<TFunctor, T, TOut>
{
    // The call in flight while it runs in parts.
    private Tensor? _a, _o;

    public override void Compute(OpContext ctx)
    {
        var a = ctx.Input(0);
        var o = ctx.AllocateOutput(0, outType, a.Dims);
        int parts = ElementwiseParts.For(a.Size);
        if (parts <= 1)
        {
            TFunctor.Span(a.Span<T>(), o.Span<TOut>());
            return;
        }
        (_a, _o) = (a, o);
        ElementwiseParts.Count();
        try
        {
            ParallelParts.Run(this, parts);
        }
        finally
        {
            (_a, _o) = (null, null);
        }
    }

    public void RunPart(int part, int parts)
    {
        var (start, count) = ElementwiseParts.Range(_a!.Size, part, parts);
        if (count > 0) TFunctor.Span(_a.Span<T>().Slice(start, count), _o!.Span<TOut>().Slice(start, count));
    }
}

/// <summary>
/// How element-wise kernels split a large tensor across cores: into ranges aligned to a multiple
/// of every vector width, so each range's vectorized loop covers exactly what one loop over the
/// whole tensor would (each element gets the same operation, hence the same bits, either way).
/// </summary>
internal static class ElementwiseParts
{
    /// <summary>Elements per part below which a tensor is not split (a part must outweigh waking a thread).</summary>
    internal const int MinElementsPerPart = 1 << 15;

    private const int Align = 64;

    private static long s_splits;

    /// <summary>Element-wise calls split into parts so far (for tests).</summary>
    internal static long Splits => Interlocked.Read(ref s_splits);

    /// <summary>Records one split call.</summary>
    internal static void Count() => Interlocked.Increment(ref s_splits);

    /// <summary>Parts for <paramref name="size"/> elements (1: run on the calling thread).</summary>
    public static int For(int size) => size < 2 * MinElementsPerPart ? 1 : ParallelParts.For(size, MinElementsPerPart);

    /// <summary>The (start, count) of part <paramref name="part"/> of <paramref name="parts"/>.</summary>
    public static (int Start, int Count) Range(int size, int part, int parts)
    {
        int blocks = (size + Align - 1) / Align;
        var (b0, b1) = ParallelParts.Range(blocks, part, parts);
        int start = Math.Min(size, b0 * Align), end = Math.Min(size, b1 * Align);
        return (start, end - start);
    }
}

/// <summary>Creates unary kernels for a dtype from an open generic functor struct.</summary>
internal static class UnaryKernels
{
    public static OpKernel Same(Type openOp, DType dtype) => Make(openOp, dtype, dtype);

    public static OpKernel Make(Type openOp, DType inType, DType outType) =>
        ElementwiseKernels.Make(typeof(UnaryKernel<,,>), openOp, inType, outType);
}
