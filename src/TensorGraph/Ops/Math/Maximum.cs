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

    /// <summary><see cref="Maximum(Output, Output, string?)"/> with a literal <paramref name="y"/> converted to x's dtype (TF's <c>Const</c> <c>Maximum/y</c>).</summary>
    public Output Maximum(Output x, Tensor y, string? name = null) => BinaryWithLiteral(MaximumSpec.OpType, x, y, false, name);

    /// <summary><see cref="Maximum(Output, Output, string?)"/> with a literal <paramref name="x"/> converted to y's dtype.</summary>
    public Output Maximum(Tensor x, Output y, string? name = null) => BinaryWithLiteral(MaximumSpec.OpType, y, x, true, name);
}
