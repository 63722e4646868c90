using System.Numerics.Tensors;
using System.Numerics;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Less: x &lt; y element-wise, bool result.</summary>
internal sealed class LessSpec : BinaryOpSpec
{
    public const string OpType = "Less";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] OutputArgs => ["z: bool"];

    protected override DType[] Allowed => TypeSets.Real;

    protected override Type Functor => typeof(LessFunctor<>);

    protected override DType OutputType(DType input) => DType.Bool;
}

internal readonly struct LessFunctor<T> : IBinaryFunctor<LessFunctor<T>, T, bool> where T : INumber<T>
{
    public static bool Apply(T x, T y) => x < y;
}

public sealed partial class Graph
{
    /// <summary>Less: x &lt; y element-wise, bool result.</summary>
    public Output Less(Output x, Output y, string? name = null) => Binary(LessSpec.OpType, x, y, name);

    /// <summary><see cref="Less(Output, Output, string?)"/> with a literal <paramref name="y"/> converted to x's dtype (TF's <c>Const</c> <c>Less/y</c>).</summary>
    public Output Less(Output x, Tensor y, string? name = null) => BinaryWithLiteral(LessSpec.OpType, x, y, false, name);

    /// <summary><see cref="Less(Output, Output, string?)"/> with a literal <paramref name="x"/> converted to y's dtype.</summary>
    public Output Less(Tensor x, Output y, string? name = null) => BinaryWithLiteral(LessSpec.OpType, y, x, true, name);
}
