using System.Numerics;
using System.Numerics.Tensors;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Sigmoid: 1 / (1 + e^-x) (<c>tf.sigmoid</c>).</summary>
internal sealed class SigmoidSpec : UnaryOpSpec
{
    public const string OpType = "Sigmoid";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_SigmoidGrad</c>, through the SigmoidGrad op.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        using (c.Graph.ControlDependencies(c.Grad.Op)) return [c.Graph.SigmoidGrad(c.Out(), c.Grad)];
    }

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(SigmoidFunctor<>);
}

internal readonly struct SigmoidFunctor<T> : IUnaryFunctor<SigmoidFunctor<T>, T, T> where T : IFloatingPointIeee754<T>
{
    // Both branches only ever exponentiate a non-positive number, so nothing overflows.
    public static T Apply(T x)
    {
        if (x >= T.Zero) return T.One / (T.One + T.Exp(-x));
        var e = T.Exp(x);
        return e / (T.One + e);
    }

    public static void Span(ReadOnlySpan<T> x, Span<T> d) => TensorPrimitives.Sigmoid(x, d);
}

public sealed partial class Graph
{
    /// <summary>Sigmoid: 1 / (1 + e^-x) (<c>tf.sigmoid</c>).</summary>
    public Output Sigmoid(Output x, string? name = null) => Unary(SigmoidSpec.OpType, x, name);
}
