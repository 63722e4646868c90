using System.Numerics;
using System.Numerics.Tensors;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Sqrt: square root (<c>tf.sqrt</c>).</summary>
internal sealed class SqrtSpec : UnaryOpSpec
{
    public const string OpType = "Sqrt";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_SqrtGrad</c>.</summary>
    public override Output?[] Gradient(GradContext c) => [c.Graph.SqrtGrad(c.Out(), c.Grad)];

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(SqrtFunctor<>);
}

internal readonly struct SqrtFunctor<T> : IUnaryFunctor<SqrtFunctor<T>, T, T> where T : IFloatingPointIeee754<T>
{
    public static T Apply(T x) => T.Sqrt(x);

    public static void Span(ReadOnlySpan<T> x, Span<T> d) => TensorPrimitives.Sqrt(x, d);
}

public sealed partial class Graph
{
    /// <summary>Sqrt: square root (<c>tf.sqrt</c>).</summary>
    public Output Sqrt(Output x, string? name = null) => Unary(SqrtSpec.OpType, x, name);
}
