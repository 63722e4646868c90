using System.Numerics;
using System.Numerics.Tensors;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Rsqrt: 1 / sqrt(x) (<c>tf.rsqrt</c>).</summary>
internal sealed class RsqrtSpec : UnaryOpSpec
{
    public const string OpType = "Rsqrt";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_RsqrtGrad</c>.</summary>
    public override Output?[] Gradient(GradContext c) => [c.Graph.RsqrtGrad(c.Out(), c.Grad)];

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(RsqrtFunctor<>);
}

internal readonly struct RsqrtFunctor<T> : IUnaryFunctor<RsqrtFunctor<T>, T, T> where T : IFloatingPointIeee754<T>
{
    public static T Apply(T x) => T.One / T.Sqrt(x);

    public static void Span(ReadOnlySpan<T> x, Span<T> d)
    {
        TensorPrimitives.Sqrt(x, d);
        TensorPrimitives.Divide(T.One, d, d);
    }
}

public sealed partial class Graph
{
    /// <summary>Rsqrt: 1 / sqrt(x) (<c>tf.rsqrt</c>).</summary>
    public Output Rsqrt(Output x, string? name = null) => Unary(RsqrtSpec.OpType, x, name);
}
