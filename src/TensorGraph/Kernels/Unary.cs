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

/// <summary>Creates unary kernels for a dtype from an open generic functor struct.</summary>
internal static class UnaryKernels
{
    public static OpKernel Same(Type openOp, DType dtype) => Make(openOp, dtype, dtype);

    public static OpKernel Make(Type openOp, DType inType, DType outType) =>
        ElementwiseKernels.Make(typeof(UnaryKernel<,,>), openOp, inType, outType);
}
