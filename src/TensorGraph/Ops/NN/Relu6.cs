using System.Numerics;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Relu6: min(max(x, 0), 6) (<c>tf.nn.relu6</c>).</summary>
internal sealed class Relu6Spec : UnaryOpSpec
{
    public override string Type => "Relu6";

    protected override string[] InputArgs => ["features: T"];

    protected override string[] OutputArgs => ["activations: T"];

    protected override DType[] Allowed => TypeSets.Real;

    protected override Type Functor => typeof(Relu6Op<>);
}

internal readonly struct Relu6Op<T> : IUnaryOp<Relu6Op<T>, T, T> where T : INumber<T>
{
    private static readonly T Six = T.CreateTruncating(6);

    public static T Apply(T x) => x < T.Zero ? T.Zero : Six < x ? Six : x;
}

public sealed partial class Graph
{
    /// <summary>Relu6: min(max(features, 0), 6) (<c>tf.nn.relu6</c>).</summary>
    public Output Relu6(Output features, string? name = null) => Unary("Relu6", features, name);
}
