using System.Numerics;
using System.Numerics.Tensors;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>SquaredDifference: (x − y)² element-wise with broadcasting (<c>tf.squared_difference</c>).</summary>
internal sealed class SquaredDifferenceSpec : BinaryOpSpec
{
    public const string OpType = "SquaredDifference";

    public override string Type => OpType;

    protected override DType[] Allowed => TypeSets.FloatInt;

    protected override Type Functor => typeof(SquaredDifferenceOp<>);
}

internal readonly struct SquaredDifferenceOp<T> : IBinaryOp<SquaredDifferenceOp<T>, T, T> where T : INumber<T>
{
    public static T Apply(T x, T y)
    {
        var d = x - y;
        return d * d;
    }

    public static void Span(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d)
    {
        TensorPrimitives.Subtract(x, y, d);
        TensorPrimitives.Multiply(d, d, d);
    }
}

public sealed partial class Graph
{
    /// <summary>SquaredDifference: (x − y)² element-wise with broadcasting (<c>tf.squared_difference</c>).</summary>
    public Output SquaredDifference(Output x, Output y, string? name = null) => Binary(SquaredDifferenceSpec.OpType, x, y, name);
}
