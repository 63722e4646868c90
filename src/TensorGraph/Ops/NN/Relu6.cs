using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Relu6: min(max(x, 0), 6) (<c>tf.nn.relu6</c>).</summary>
internal sealed class Relu6Spec : UnaryOpSpec
{
    public const string OpType = "Relu6";

    public override string Type => OpType;

    protected override string[] InputArgs => ["features: T"];

    protected override string[] OutputArgs => ["activations: T"];

    protected override DType[] Allowed => TypeSets.Real;

    protected override Type Functor => typeof(Relu6Functor<>);

    /// <summary>TF 1.15's <c>_Relu6Grad</c>: Relu6Grad(grad, y).</summary>
    public override Output?[] Gradient(GradContext c) => [c.Graph.Relu6Grad(c.Grad, c.Out())];
}

internal readonly struct Relu6Functor<T> : IUnaryFunctor<Relu6Functor<T>, T, T> where T : INumber<T>
{
    private static readonly T Six = T.CreateTruncating(6);

    public static T Apply(T x) => x < T.Zero ? T.Zero : Six < x ? Six : x;
}

public sealed partial class Graph
{
    /// <summary>Relu6: min(max(features, 0), 6) (<c>tf.nn.relu6</c>).</summary>
    public Output Relu6(Output features, string? name = null) => Unary(Relu6Spec.OpType, features, name);
}
