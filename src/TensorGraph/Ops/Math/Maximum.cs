using System.Numerics.Tensors;
using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Maximum: max(x, y) element-wise (<c>tf.maximum</c>).</summary>
internal sealed class MaximumSpec : BinaryOpSpec
{
    public const string OpType = "Maximum";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_MaximumGrad</c>.</summary>
    public override Output?[] Gradient(GradContext c) => MathGradients.MaxMinGrad(c, greaterEqual: true);

    protected override DType[] Allowed => TypeSets.Real;

    protected override Type Functor => typeof(MaximumFunctor<>);
}

internal readonly struct MaximumFunctor<T> : IBinaryFunctor<MaximumFunctor<T>, T, T> where T : INumber<T>
{
    public static T Apply(T x, T y) => x > y || T.IsNaN(x) ? x : y;
}

public sealed partial class Graph
{
    /// <summary>Maximum: max(x, y) element-wise (<c>tf.maximum</c>).</summary>
    public Output Maximum(Output x, Output y, string? name = null) => Binary(MaximumSpec.OpType, x, y, name);
}
