using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Softsign: x / (1 + |x|) (<c>tf.nn.softsign</c>).</summary>
internal sealed class SoftsignSpec : UnaryOpSpec
{
    public const string OpType = "Softsign";

    public override string Type => OpType;

    protected override string[] InputArgs => ["features: T"];

    protected override string[] OutputArgs => ["activations: T"];

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(SoftsignFunctor<>);

    /// <summary>TF 1.15's <c>_SoftsignGrad</c>: SoftsignGrad(grad, features).</summary>
    public override Output?[] Gradient(GradContext c) => [c.Graph.SoftsignGrad(c.Grad, c.X)];
}

internal readonly struct SoftsignFunctor<T> : IUnaryFunctor<SoftsignFunctor<T>, T, T> where T : IFloatingPointIeee754<T>
{
    public static T Apply(T x) => x / (T.One + T.Abs(x));
}

public sealed partial class Graph
{
    /// <summary>Softsign: features / (1 + |features|) (<c>tf.nn.softsign</c>).</summary>
    public Output Softsign(Output features, string? name = null) => Unary(SoftsignSpec.OpType, features, name);
}
