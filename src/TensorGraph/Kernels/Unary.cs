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

/// <summary>Element-wise unary kernel.</summary>
internal sealed class UnaryKernel<T, TOut, TFunctor>(DType outType) : OpKernel where TFunctor : struct, IUnaryFunctor<TFunctor, T, TOut>
{
    public override void Compute(OpContext ctx)
    {
        var a = ctx.Input(0);
        var o = ctx.AllocateOutput(0, outType, a.Dims);
        TFunctor.Span(a.Span<T>(), o.Span<TOut>());
    }
}

/// <summary>Creates unary kernels for a dtype from an open generic functor struct.</summary>
internal static class UnaryKernels
{
    public static OpKernel Same(Type openOp, DType dtype) => Make(openOp, dtype, dtype);

    public static OpKernel Make(Type openOp, DType inType, DType outType) =>
        ElementwiseKernels.Make(typeof(UnaryKernel<,,>), openOp, inType, outType);
}
