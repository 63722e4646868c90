using System.Numerics;
using System.Numerics.Tensors;

namespace TensorGraph.Kernels;

/// <summary>Numerically stable row-wise softmax helpers (max subtracted before exp).</summary>
internal static class SoftmaxMath
{
    /// <summary>dst = softmax(src) for one row.</summary>
    public static void Softmax<T>(ReadOnlySpan<T> src, Span<T> dst) where T : IFloatingPointIeee754<T>
    {
        T max = TensorPrimitives.Max(src);
        TensorPrimitives.Subtract(src, max, dst);
        TensorPrimitives.Exp(dst, dst);
        T sum = TensorPrimitives.Sum<T>(dst);
        TensorPrimitives.Divide(dst, sum, dst);
    }

    /// <summary>dst = log_softmax(src) for one row; returns log(sum(exp(src - max))) + max.</summary>
    public static T LogSoftmax<T>(ReadOnlySpan<T> src, Span<T> dst) where T : IFloatingPointIeee754<T>
    {
        T max = TensorPrimitives.Max(src);
        // exp(src - max) in dst for the sum, then dst = (src - max) - log(sum): vectorized passes.
        TensorPrimitives.Subtract(src, max, dst);
        TensorPrimitives.Exp(dst, dst);
        T logSum = T.Log(TensorPrimitives.Sum<T>(dst));
        TensorPrimitives.Subtract(src, max, dst);
        TensorPrimitives.Subtract(dst, logSum, dst);
        return logSum + max;
    }
}
