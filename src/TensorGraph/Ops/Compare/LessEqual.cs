using System.Numerics.Tensors;
using System.Numerics;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>LessEqual: x &lt;= y element-wise, bool result.</summary>
internal sealed class LessEqualSpec : BinaryOpSpec
{
    public const string OpType = "LessEqual";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] OutputArgs => ["z: bool"];

    protected override DType[] Allowed => TypeSets.Real;

    protected override Type Functor => typeof(LessEqualFunctor<>);

    protected override DType OutputType(DType input) => DType.Bool;
}

internal readonly struct LessEqualFunctor<T> : IBinaryFunctor<LessEqualFunctor<T>, T, bool> where T : INumber<T>
{
    public static bool Apply(T x, T y) => x <= y;
}

public sealed partial class Graph
{
    /// <summary>LessEqual: x &lt;= y element-wise, bool result.</summary>
    public Output LessEqual(Output x, Output y, string? name = null) => Binary(LessEqualSpec.OpType, x, y, name);

    /// <summary><see cref="LessEqual(Output, Output, string?)"/> with a literal <paramref name="y"/> converted to x's dtype (TF's <c>Const</c> <c>LessEqual/y</c>).</summary>
    public Output LessEqual(Output x, Tensor y, string? name = null) => BinaryWithLiteral(LessEqualSpec.OpType, x, y, false, name);

    /// <summary><see cref="LessEqual(Output, Output, string?)"/> with a literal <paramref name="x"/> converted to y's dtype.</summary>
    public Output LessEqual(Tensor x, Output y, string? name = null) => BinaryWithLiteral(LessEqualSpec.OpType, y, x, true, name);
}
