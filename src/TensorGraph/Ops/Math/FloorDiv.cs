using System.Numerics.Tensors;
using System.Numerics;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>FloorDiv: floor(x / y) (<c>tf.floordiv</c>, <c>//</c>).</summary>
internal sealed class FloorDivSpec : BinaryOpSpec
{
    public const string OpType = "FloorDiv";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override DType[] Allowed => TypeSets.Real;

    protected override Type Functor => typeof(FloorDivFunctor<>);
}

internal readonly struct FloorDivFunctor<T> : IBinaryFunctor<FloorDivFunctor<T>, T, T> where T : INumber<T>
{
    public static T Apply(T x, T y)
    {
        if (DivChecks.IsFloat<T>()) return T.CreateTruncating(System.Math.Floor(double.CreateTruncating(x / y)));
        if (T.IsZero(y)) throw new InvalidArgumentException("Integer division by zero");
        if (DivChecks.IsMinusOne(y)) return DivChecks.Negate(x);
        var q = x / y;
        if (!T.IsZero(x % y) && (T.IsNegative(x) != T.IsNegative(y))) q -= T.One;
        return q;
    }
}

public sealed partial class Graph
{
    /// <summary>FloorDiv: floor(x / y) (<c>tf.floordiv</c>, <c>//</c>).</summary>
    public Output FloorDiv(Output x, Output y, string? name = null) => Binary(FloorDivSpec.OpType, x, y, name);

    /// <summary><see cref="FloorDiv(Output, Output, string?)"/> with a literal <paramref name="y"/> converted to x's dtype (TF's <c>Const</c> <c>FloorDiv/y</c>).</summary>
    public Output FloorDiv(Output x, Tensor y, string? name = null) => BinaryWithLiteral(FloorDivSpec.OpType, x, y, false, name);

    /// <summary><see cref="FloorDiv(Output, Output, string?)"/> with a literal <paramref name="x"/> converted to y's dtype.</summary>
    public Output FloorDiv(Tensor x, Output y, string? name = null) => BinaryWithLiteral(FloorDivSpec.OpType, y, x, true, name);
}
