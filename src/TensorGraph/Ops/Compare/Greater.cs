using System.Numerics.Tensors;
using System.Numerics;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Greater: x &gt; y element-wise, bool result.</summary>
internal sealed class GreaterSpec : BinaryOpSpec
{
    public const string OpType = "Greater";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] OutputArgs => ["z: bool"];

    protected override DType[] Allowed => TypeSets.Real;

    protected override Type Functor => typeof(GreaterFunctor<>);

    protected override DType OutputType(DType input) => DType.Bool;
}

internal readonly struct GreaterFunctor<T> : IBinaryFunctor<GreaterFunctor<T>, T, bool> where T : INumber<T>
{
    public static bool Apply(T x, T y) => x > y;
}

public sealed partial class Graph
{
    /// <summary>Greater: x &gt; y element-wise, bool result.</summary>
    public Output Greater(Output x, Output y, string? name = null) => Binary(GreaterSpec.OpType, x, y, name);

    /// <summary><see cref="Greater(Output, Output, string?)"/> with a literal <paramref name="y"/> converted to x's dtype (TF's <c>Const</c> <c>Greater/y</c>).</summary>
    public Output Greater(Output x, Tensor y, string? name = null) => BinaryWithLiteral(GreaterSpec.OpType, x, y, false, name);

    /// <summary><see cref="Greater(Output, Output, string?)"/> with a literal <paramref name="x"/> converted to y's dtype.</summary>
    public Output Greater(Tensor x, Output y, string? name = null) => BinaryWithLiteral(GreaterSpec.OpType, y, x, true, name);
}
