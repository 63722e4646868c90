using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Tanh: hyperbolic tangent (<c>tf.tanh</c>).</summary>
internal sealed class TanhSpec : UnaryOpSpec
{
    public const string OpType = "Tanh";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_TanhGrad</c>, through the TanhGrad op.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        using (c.Graph.ControlDependencies(c.Grad.Op)) return [c.Graph.TanhGrad(c.Out(), c.Grad)];
    }

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(TanhFunctor<>);
}

internal readonly struct TanhFunctor<T> : IUnaryFunctor<TanhFunctor<T>, T, T> where T : IFloatingPointIeee754<T>
{
    // Scalar on purpose: TensorPrimitives.Tanh loses all precision near 0 (tanh(1e-30) → 0, tanh(0f) → -6e-8).
    public static T Apply(T x) => T.Tanh(x);
}

public sealed partial class Graph
{
    /// <summary>Tanh: hyperbolic tangent (<c>tf.tanh</c>).</summary>
    public Output Tanh(Output x, string? name = null) => Unary(TanhSpec.OpType, x, name);
}
