using System.Numerics;
using System.Numerics.Tensors;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Neg: -x (<c>tf.negative</c>, unary <c>-</c>).</summary>
internal sealed class NegSpec : UnaryOpSpec
{
    public const string OpType = "Neg";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_NegGrad</c>.</summary>
    public override Output?[] Gradient(GradContext c) => [c.Graph.Negative(c.Grad)];

    protected override DType[] Allowed => TypeSets.Signed;

    protected override Type Functor => typeof(NegFunctor<>);
}

internal readonly struct NegFunctor<T> : IUnaryFunctor<NegFunctor<T>, T, T> where T : INumber<T>
{
    public static T Apply(T x) => -x;

    public static void Span(ReadOnlySpan<T> x, Span<T> d) => TensorPrimitives.Negate(x, d);
}

public sealed partial class Graph
{
    /// <summary>Neg: -x (<c>tf.negative</c>, unary <c>-</c>).</summary>
    public Output Negative(Output x, string? name = null) => Unary(NegSpec.OpType, x, name);
}
