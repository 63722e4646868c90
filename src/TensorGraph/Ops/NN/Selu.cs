using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Selu: scale·x if x ≥ 0 else scale·alpha·(e^x − 1) (<c>tf.nn.selu</c>).</summary>
internal sealed class SeluSpec : UnaryOpSpec
{
    public const string OpType = "Selu";

    public override string Type => OpType;

    protected override string[] InputArgs => ["features: T"];

    protected override string[] OutputArgs => ["activations: T"];

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(SeluFunctor<>);

    /// <summary>TF 1.15's <c>_SeluGrad</c>: SeluGrad(grad, y).</summary>
    public override Output?[] Gradient(GradContext c) => [c.Graph.SeluGrad(c.Grad, c.Out())];
}

internal readonly struct SeluFunctor<T> : IUnaryFunctor<SeluFunctor<T>, T, T> where T : IFloatingPointIeee754<T>
{
    private static readonly T Scale = T.CreateTruncating(SeluConstants.Scale);
    private static readonly T ScaleAlpha = T.CreateTruncating(SeluConstants.ScaleAlpha);

    public static T Apply(T x) => x < T.Zero ? ScaleAlpha * (T.Exp(x) - T.One) : Scale * x;
}

public sealed partial class Graph
{
    /// <summary>Selu: scale·features if ≥ 0 else scale·alpha·(e^features − 1) (<c>tf.nn.selu</c>).</summary>
    public Output Selu(Output features, string? name = null) => Unary(SeluSpec.OpType, features, name);
}
