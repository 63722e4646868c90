using System.Numerics.Tensors;
using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Mul: x * y with broadcasting (<c>tf.multiply</c>, the <c>*</c> operator).</summary>
internal sealed class MulSpec : BinaryOpSpec
{
    public const string OpType = "Mul";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_MulGrad</c>.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        if (c.ShapesFullySpecifiedAndEqual() && c.Grad.DType is DType.Float32)
            return [c.Graph.Multiply(c.Grad, c.Y), c.Graph.Multiply(c.Grad, c.X)];
        return c.Unbroadcast(() => c.Graph.Multiply(c.Grad, c.Y), () => c.Graph.Multiply(c.X, c.Grad));
    }

    protected override DType[] Allowed => TypeSets.Real;

    protected override Type Functor => typeof(MulFunctor<>);
}

internal readonly struct MulFunctor<T> : IBinaryFunctor<MulFunctor<T>, T, T> where T : INumber<T>
{
    public static T Apply(T x, T y) => x * y;

    public static void Span(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Multiply(x, y, d);

    public static void SpanScalar(ReadOnlySpan<T> x, T y, Span<T> d) => TensorPrimitives.Multiply(x, y, d);

    public static void ScalarSpan(T x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Multiply(y, x, d);
}

public sealed partial class Graph
{
    /// <summary>Mul: x * y with broadcasting (<c>tf.multiply</c>, the <c>*</c> operator).</summary>
    public Output Multiply(Output x, Output y, string? name = null) => Binary(MulSpec.OpType, x, y, name);

    /// <summary><see cref="Multiply(Output, Output, string?)"/> with a literal <paramref name="y"/> converted to x's dtype (TF's <c>Const</c> <c>Mul/y</c>).</summary>
    public Output Multiply(Output x, Tensor y, string? name = null) => BinaryWithLiteral(MulSpec.OpType, x, y, false, name);

    /// <summary><see cref="Multiply(Output, Output, string?)"/> with a literal <paramref name="x"/> converted to y's dtype.</summary>
    public Output Multiply(Tensor x, Output y, string? name = null) => BinaryWithLiteral(MulSpec.OpType, y, x, true, name);
}
