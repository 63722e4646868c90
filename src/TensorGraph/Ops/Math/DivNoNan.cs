using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>DivNoNan: x / y, and 0 where y is 0 (<c>tf.math.div_no_nan</c>; float and double, as TF 1.15's CPU kernel).</summary>
internal sealed class DivNoNanSpec : BinaryOpSpec
{
    public const string OpType = "DivNoNan";

    public override string Type => OpType;

    /// <summary>
    /// TF 1.15's <c>_DivNoNanGrad</c>: dx = div_no_nan(g, y), dy = g · div_no_nan(div_no_nan(−x, y), y),
    /// each summed back to its input's shape.
    /// </summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        return c.Unbroadcast(
            () => g.DivNoNan(c.Grad, c.Y),
            () => g.Multiply(c.Grad, g.DivNoNan(g.DivNoNan(g.Negative(c.X), c.Y), c.Y)));
    }

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(DivNoNanFunctor<>);
}

internal readonly struct DivNoNanFunctor<T> : IBinaryFunctor<DivNoNanFunctor<T>, T, T> where T : INumber<T>
{
    public static T Apply(T x, T y) => T.IsZero(y) ? T.Zero : x / y;

    public static void Span(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = Apply(x[i], y[i]);
    }

    public static void SpanScalar(ReadOnlySpan<T> x, T y, Span<T> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = Apply(x[i], y);
    }
}

public sealed partial class Graph
{
    /// <summary>DivNoNan: x / y, and 0 where y is 0 (<c>tf.math.div_no_nan</c>, TF's op <c>DivNoNan</c>).</summary>
    public Output DivNoNan(Output x, Output y, string? name = null) => Binary(DivNoNanSpec.OpType, x, y, name);
}
