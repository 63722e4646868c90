using System.Numerics.Tensors;
using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Minimum: min(x, y) element-wise (<c>tf.minimum</c>).</summary>
internal sealed class MinimumSpec : BinaryOpSpec
{
    public const string OpType = "Minimum";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_MinimumGrad</c>.</summary>
    public override Output?[] Gradient(GradContext c) => MathGradients.MaxMinGrad(c, greaterEqual: false);

    protected override DType[] Allowed => TypeSets.Real;

    protected override Type Functor => typeof(MinimumFunctor<>);
}

internal readonly struct MinimumFunctor<T> : IBinaryFunctor<MinimumFunctor<T>, T, T> where T : INumber<T>
{
    public static T Apply(T x, T y) => x < y || T.IsNaN(x) ? x : y;
}

public sealed partial class Graph
{
    /// <summary>Minimum: min(x, y) element-wise (<c>tf.minimum</c>).</summary>
    public Output Minimum(Output x, Output y, string? name = null) => Binary(MinimumSpec.OpType, x, y, name);

    /// <summary><see cref="Minimum(Output, Output, string?)"/> with a literal <paramref name="y"/> converted to x's dtype (TF's <c>Const</c> <c>Minimum/y</c>).</summary>
    public Output Minimum(Output x, Tensor y, string? name = null) => BinaryWithLiteral(MinimumSpec.OpType, x, y, false, name);

    /// <summary><see cref="Minimum(Output, Output, string?)"/> with a literal <paramref name="x"/> converted to y's dtype.</summary>
    public Output Minimum(Tensor x, Output y, string? name = null) => BinaryWithLiteral(MinimumSpec.OpType, y, x, true, name);
}
