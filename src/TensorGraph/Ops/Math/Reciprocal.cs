using System.Numerics;
using System.Numerics.Tensors;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Reciprocal: 1 / x (<c>tf.reciprocal</c>).</summary>
internal sealed class ReciprocalSpec : UnaryOpSpec
{
    public const string OpType = "Reciprocal";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_ReciprocalGrad</c>.</summary>
    public override Output?[] Gradient(GradContext c) => [c.Graph.ReciprocalGrad(c.Out(), c.Grad)];

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(ReciprocalFunctor<>);
}

internal readonly struct ReciprocalFunctor<T> : IUnaryFunctor<ReciprocalFunctor<T>, T, T> where T : IFloatingPointIeee754<T>
{
    public static T Apply(T x) => T.One / x;

    public static void Span(ReadOnlySpan<T> x, Span<T> d) => TensorPrimitives.Divide(T.One, x, d);
}

public sealed partial class Graph
{
    /// <summary>Element-wise 1 / x (<c>tf.reciprocal</c>).</summary>
    public Output Reciprocal(Output x, string? name = null) => Unary(ReciprocalSpec.OpType, x, name);
}
