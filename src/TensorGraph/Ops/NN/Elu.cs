using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Elu: x if x ≥ 0 else e^x − 1 (<c>tf.nn.elu</c>).</summary>
internal sealed class EluSpec : UnaryOpSpec
{
    public const string OpType = "Elu";

    public override string Type => OpType;

    protected override string[] InputArgs => ["features: T"];

    protected override string[] OutputArgs => ["activations: T"];

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(EluFunctor<>);

    /// <summary>TF 1.15's <c>_EluGrad</c>: EluGrad(grad, y).</summary>
    public override Output?[] Gradient(GradContext c) => [c.Graph.EluGrad(c.Grad, c.Out())];
}

internal readonly struct EluFunctor<T> : IUnaryFunctor<EluFunctor<T>, T, T> where T : IFloatingPointIeee754<T>
{
    // TF's kernel: (features < 0).select(exp(features) - 1, features).
    public static T Apply(T x) => x < T.Zero ? T.Exp(x) - T.One : x;
}

public sealed partial class Graph
{
    /// <summary>Elu: features if ≥ 0 else e^features − 1 (<c>tf.nn.elu</c>).</summary>
    public Output Elu(Output features, string? name = null) => Unary(EluSpec.OpType, features, name);
}
