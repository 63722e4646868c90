using System.Numerics.Tensors;
using System.Numerics;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>GreaterEqual: x &gt;= y element-wise, bool result.</summary>
internal sealed class GreaterEqualSpec : BinaryOpSpec
{
    public const string OpType = "GreaterEqual";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] OutputArgs => ["z: bool"];

    protected override DType[] Allowed => TypeSets.Real;

    protected override Type Functor => typeof(GreaterEqualFunctor<>);

    protected override DType OutputType(DType input) => DType.Bool;
}

internal readonly struct GreaterEqualFunctor<T> : IBinaryFunctor<GreaterEqualFunctor<T>, T, bool> where T : INumber<T>
{
    public static bool Apply(T x, T y) => x >= y;
}

public sealed partial class Graph
{
    /// <summary>GreaterEqual: x &gt;= y element-wise, bool result.</summary>
    public Output GreaterEqual(Output x, Output y, string? name = null) => Binary(GreaterEqualSpec.OpType, x, y, name);

    /// <summary><see cref="GreaterEqual(Output, Output, string?)"/> with a literal <paramref name="y"/> converted to x's dtype (TF's <c>Const</c> <c>GreaterEqual/y</c>).</summary>
    public Output GreaterEqual(Output x, Tensor y, string? name = null) => BinaryWithLiteral(GreaterEqualSpec.OpType, x, y, false, name);

    /// <summary><see cref="GreaterEqual(Output, Output, string?)"/> with a literal <paramref name="x"/> converted to y's dtype.</summary>
    public Output GreaterEqual(Tensor x, Output y, string? name = null) => BinaryWithLiteral(GreaterEqualSpec.OpType, y, x, true, name);
}
