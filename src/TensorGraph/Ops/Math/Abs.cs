using System.Numerics;
using System.Numerics.Tensors;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Abs: |x| (<c>tf.abs</c>).</summary>
internal sealed class AbsSpec : UnaryOpSpec
{
    public const string OpType = "Abs";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_AbsGrad</c>: g · sign(x).</summary>
    public override Output?[] Gradient(GradContext c) => [c.Graph.Multiply(c.Grad, c.Graph.Sign(c.X))];

    protected override DType[] Allowed => TypeSets.Signed;

    protected override Type Functor => typeof(AbsFunctor<>);
}

internal readonly struct AbsFunctor<T> : IUnaryFunctor<AbsFunctor<T>, T, T> where T : INumber<T>
{
    // Not T.Abs: it throws for the most negative integer, where TF wraps (abs(INT_MIN) == INT_MIN).
    public static T Apply(T x) => T.IsNegative(x) ? -x : x;
}

public sealed partial class Graph
{
    /// <summary>Abs: |x| (<c>tf.abs</c>).</summary>
    public Output Abs(Output x, string? name = null) => Unary(AbsSpec.OpType, x, name);
}
