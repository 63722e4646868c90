using System.Numerics.Tensors;
using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Sub: x - y with broadcasting (<c>tf.subtract</c>, the <c>-</c> operator).</summary>
internal sealed class SubSpec : BinaryOpSpec
{
    public const string OpType = "Sub";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_SubGrad</c>.</summary>
    public override Output?[] Gradient(GradContext c) => c.ShapesFullySpecifiedAndEqual()
        ? [c.Grad, c.Graph.Negative(c.Grad)]
        : c.Unbroadcast(() => c.Grad, () => c.Grad, negateY: true);

    protected override DType[] Allowed => TypeSets.Real;

    protected override Type Functor => typeof(SubFunctor<>);
}

internal readonly struct SubFunctor<T> : IBinaryFunctor<SubFunctor<T>, T, T> where T : INumber<T>
{
    public static T Apply(T x, T y) => x - y;

    public static void Span(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Subtract(x, y, d);

    public static void SpanScalar(ReadOnlySpan<T> x, T y, Span<T> d) => TensorPrimitives.Subtract(x, y, d);

    public static void ScalarSpan(T x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Subtract(x, y, d);
}

public sealed partial class Graph
{
    /// <summary>Sub: x - y with broadcasting (<c>tf.subtract</c>, the <c>-</c> operator).</summary>
    public Output Subtract(Output x, Output y, string? name = null) => Binary(SubSpec.OpType, x, y, name);

    /// <summary><see cref="Subtract(Output, Output, string?)"/> with a literal <paramref name="y"/> converted to x's dtype (TF's <c>Const</c> <c>Sub/y</c>).</summary>
    public Output Subtract(Output x, Tensor y, string? name = null) => BinaryWithLiteral(SubSpec.OpType, x, y, false, name);

    /// <summary><see cref="Subtract(Output, Output, string?)"/> with a literal <paramref name="x"/> converted to y's dtype.</summary>
    public Output Subtract(Tensor x, Output y, string? name = null) => BinaryWithLiteral(SubSpec.OpType, y, x, true, name);
}
