using System.Numerics.Tensors;
using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Div (legacy): x / y; integers divide with truncation toward zero.</summary>
internal sealed class DivSpec : BinaryOpSpec
{
    public const string OpType = "Div";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_DivGrad</c>.</summary>
    public override Output?[] Gradient(GradContext c) => MathGradients.DivGrad(c);

    protected override DType[] Allowed => TypeSets.Real;

    protected override Type Functor => typeof(DivFunctor<>);
}

internal readonly struct DivFunctor<T> : IBinaryFunctor<DivFunctor<T>, T, T> where T : INumber<T>
{
    public static T Apply(T x, T y) => DivChecks.Div(x, y);
}

public sealed partial class Graph
{
    /// <summary>Div (legacy): x / y; integers divide with truncation toward zero.</summary>
    public Output Div(Output x, Output y, string? name = null) => Binary(DivSpec.OpType, x, y, name);

    /// <summary><see cref="Div(Output, Output, string?)"/> with a literal <paramref name="y"/> converted to x's dtype (TF's <c>Const</c> <c>Div/y</c>).</summary>
    public Output Div(Output x, Tensor y, string? name = null) => BinaryWithLiteral(DivSpec.OpType, x, y, false, name);

    /// <summary><see cref="Div(Output, Output, string?)"/> with a literal <paramref name="x"/> converted to y's dtype.</summary>
    public Output Div(Tensor x, Output y, string? name = null) => BinaryWithLiteral(DivSpec.OpType, y, x, true, name);
}
