using System.Numerics;
using System.Numerics.Tensors;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>SquaredDifference: (x − y)² element-wise with broadcasting (<c>tf.squared_difference</c>).</summary>
internal sealed class SquaredDifferenceSpec : BinaryOpSpec
{
    public const string OpType = "SquaredDifference";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_SquaredDifferenceGrad</c>.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        Output xGrad;
        using (g.ControlDependencies(c.Grad.Op))
            xGrad = g.Multiply(g.Constant(Graph.ScalarOf(c.Grad.DType, 2), name: "scalar"), c.Grad) * (c.X - c.Y);
        if (c.ShapesFullySpecifiedAndEqual()) return [xGrad, -xGrad];
        var r2 = c.Unbroadcast(() => xGrad, () => xGrad);
        return [r2[0], g.Negative(r2[1]!.Value)];
    }

    protected override DType[] Allowed => TypeSets.FloatInt;

    protected override Type Functor => typeof(SquaredDifferenceFunctor<>);
}

internal readonly struct SquaredDifferenceFunctor<T> : IBinaryFunctor<SquaredDifferenceFunctor<T>, T, T> where T : INumber<T>
{
    public static T Apply(T x, T y)
    {
        var d = x - y;
        return d * d;
    }

    public static void Span(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d)
    {
        TensorPrimitives.Subtract(x, y, d);
        TensorPrimitives.Multiply(d, d, d);
    }
}

public sealed partial class Graph
{
    /// <summary>SquaredDifference: (x − y)² element-wise with broadcasting (<c>tf.squared_difference</c>).</summary>
    public Output SquaredDifference(Output x, Output y, string? name = null) => Binary(SquaredDifferenceSpec.OpType, x, y, name);

    /// <summary><see cref="SquaredDifference(Output, Output, string?)"/> with a literal <paramref name="y"/> converted to x's dtype (TF's <c>Const</c> <c>SquaredDifference/y</c>).</summary>
    public Output SquaredDifference(Output x, Tensor y, string? name = null) => BinaryWithLiteral(SquaredDifferenceSpec.OpType, x, y, false, name);

    /// <summary><see cref="SquaredDifference(Output, Output, string?)"/> with a literal <paramref name="x"/> converted to y's dtype.</summary>
    public Output SquaredDifference(Tensor x, Output y, string? name = null) => BinaryWithLiteral(SquaredDifferenceSpec.OpType, y, x, true, name);
}
