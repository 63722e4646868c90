using System.Numerics;
using System.Numerics.Tensors;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Square: x * x (<c>tf.square</c>).</summary>
internal sealed class SquareSpec : UnaryOpSpec
{
    public const string OpType = "Square";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_SquareGrad</c>: g · 2x.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        using (g.ControlDependencies(c.Grad.Op))
        {
            var two = g.Constant(Graph.ScalarOf(c.X.DType, 2));
            return [g.Multiply(c.Grad, g.Multiply(c.X, two))];
        }
    }

    protected override DType[] Allowed => TypeSets.Signed;

    protected override Type Functor => typeof(SquareFunctor<>);
}

internal readonly struct SquareFunctor<T> : IUnaryFunctor<SquareFunctor<T>, T, T> where T : INumber<T>
{
    public static T Apply(T x) => x * x;

    public static void Span(ReadOnlySpan<T> x, Span<T> d) => TensorPrimitives.Multiply(x, x, d);
}

public sealed partial class Graph
{
    /// <summary>Square: x * x (<c>tf.square</c>).</summary>
    public Output Square(Output x, string? name = null) => Unary(SquareSpec.OpType, x, name);
}
