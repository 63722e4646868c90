using System.Numerics;
using System.Numerics.Tensors;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Sign: -1, 0 or 1 (<c>tf.sign</c>; NaN stays NaN).</summary>
internal sealed class SignSpec : UnaryOpSpec
{
    public const string OpType = "Sign";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_SignGrad</c>: zeros.</summary>
    public override Output?[] Gradient(GradContext c) => [c.Graph.Zeros(c.Graph.ShapeOf(c.X), c.X.DType)];

    protected override DType[] Allowed => TypeSets.Signed;

    protected override Type Functor => typeof(SignFunctor<>);
}

internal readonly struct SignFunctor<T> : IUnaryFunctor<SignFunctor<T>, T, T> where T : INumber<T>
{
    public static T Apply(T x) => T.IsNaN(x) ? x : T.IsZero(x) ? T.Zero : T.IsNegative(x) ? -T.One : T.One;
}

public sealed partial class Graph
{
    /// <summary>Sign: -1, 0 or 1 (<c>tf.sign</c>; NaN stays NaN).</summary>
    public Output Sign(Output x, string? name = null) => Unary(SignSpec.OpType, x, name);
}
