using System.Numerics.Tensors;
using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>RealDiv: x / y (<c>tf.realdiv</c>; integer inputs divide with truncation and fail on zero).</summary>
internal sealed class RealDivSpec : BinaryOpSpec
{
    public const string OpType = "RealDiv";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_RealDivGrad</c>.</summary>
    public override Output?[] Gradient(GradContext c) => MathGradients.DivGrad(c);

    protected override DType[] Allowed => TypeSets.Real;

    protected override Type Functor => typeof(RealDivFunctor<>);
}

internal readonly struct RealDivFunctor<T> : IBinaryFunctor<RealDivFunctor<T>, T, T> where T : INumber<T>
{
    public static T Apply(T x, T y) => DivChecks.Div(x, y);

    public static void Span(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d)
    {
        if (!DivChecks.IsFloat<T>()) { for (int i = 0; i < d.Length; i++) d[i] = DivChecks.Div(x[i], y[i]); return; }
        TensorPrimitives.Divide(x, y, d);
    }

    public static void SpanScalar(ReadOnlySpan<T> x, T y, Span<T> d)
    {
        if (!DivChecks.IsFloat<T>()) { for (int i = 0; i < d.Length; i++) d[i] = DivChecks.Div(x[i], y); return; }
        TensorPrimitives.Divide(x, y, d);
    }
}

public sealed partial class Graph
{
    /// <summary>RealDiv: x / y (<c>tf.realdiv</c>; integer inputs divide with truncation and fail on zero).</summary>
    public Output RealDiv(Output x, Output y, string? name = null) => Binary(RealDivSpec.OpType, x, y, name);

    /// <summary><see cref="RealDiv(Output, Output, string?)"/> with a literal <paramref name="y"/> converted to x's dtype (TF's <c>Const</c> <c>RealDiv/y</c>).</summary>
    public Output RealDiv(Output x, Tensor y, string? name = null) => BinaryWithLiteral(RealDivSpec.OpType, x, y, false, name);

    /// <summary><see cref="RealDiv(Output, Output, string?)"/> with a literal <paramref name="x"/> converted to y's dtype.</summary>
    public Output RealDiv(Tensor x, Output y, string? name = null) => BinaryWithLiteral(RealDivSpec.OpType, y, x, true, name);
}
