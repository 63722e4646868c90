using System.Numerics;
using System.Numerics.Tensors;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Floor: largest integer not greater than x (<c>tf.floor</c>).</summary>
internal sealed class FloorSpec : UnaryOpSpec
{
    public const string OpType = "Floor";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(FloorFunctor<>);
}

internal readonly struct FloorFunctor<T> : IUnaryFunctor<FloorFunctor<T>, T, T> where T : IFloatingPointIeee754<T>
{
    public static T Apply(T x) => T.Floor(x);

    public static void Span(ReadOnlySpan<T> x, Span<T> d) => TensorPrimitives.Floor(x, d);
}

public sealed partial class Graph
{
    /// <summary>Element-wise floor (<c>tf.floor</c>).</summary>
    public Output Floor(Output x, string? name = null) => Unary(FloorSpec.OpType, x, name);
}
