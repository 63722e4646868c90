using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Softplus: ln(1 + e^x) (<c>tf.nn.softplus</c>).</summary>
internal sealed class SoftplusSpec : UnaryOpSpec
{
    public const string OpType = "Softplus";

    public override string Type => OpType;

    protected override string[] InputArgs => ["features: T"];

    protected override string[] OutputArgs => ["activations: T"];

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(SoftplusFunctor<>);

    /// <summary>
    /// TF 1.15's <c>_SoftplusGrad</c>: grad·Sigmoid(x) (older 1.x releases used SoftplusGrad(grad, x),
    /// which keeps its own gradient).
    /// </summary>
    public override Output?[] Gradient(GradContext c) => [c.Grad * c.Graph.Sigmoid(c.X)];
}

internal readonly struct SoftplusFunctor<T> : IUnaryFunctor<SoftplusFunctor<T>, T, T> where T : IFloatingPointIeee754<T>
{
    // log1p(e^-|x|) + max(x, 0): never overflows and keeps precision for large |x|.
    public static T Apply(T x)
    {
        if (T.IsNaN(x)) return x;
        double v = double.CreateTruncating(x);
        return T.CreateTruncating(AccurateMath.Log1p(Math.Exp(-Math.Abs(v))) + Math.Max(v, 0));
    }
}

public sealed partial class Graph
{
    /// <summary>Softplus: ln(1 + e^features) (<c>tf.nn.softplus</c>).</summary>
    public Output Softplus(Output features, string? name = null) => Unary(SoftplusSpec.OpType, features, name);
}
