using System.Numerics;
using System.Numerics.Tensors;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Abs: |x| (<c>tf.abs</c>).</summary>
internal sealed class AbsSpec : UnaryOpSpec
{
    public const string OpType = "Abs";

    public override string Type => OpType;

    protected override DType[] Allowed => TypeSets.Signed;

    protected override Type Functor => typeof(AbsOp<>);
}

internal readonly struct AbsOp<T> : IUnaryOp<AbsOp<T>, T, T> where T : INumber<T>
{
    // Not T.Abs: it throws for the most negative integer, where TF wraps (abs(INT_MIN) == INT_MIN).
    public static T Apply(T x) => T.IsNegative(x) ? -x : x;
}

public sealed partial class Graph
{
    /// <summary>Abs: |x| (<c>tf.abs</c>).</summary>
    public Output Abs(Output x, string? name = null) => Unary(AbsSpec.OpType, x, name);
}
