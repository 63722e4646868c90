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
}
