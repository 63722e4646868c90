using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Expm1: e^x − 1, accurate for small x (<c>tf.expm1</c>).</summary>
internal sealed class Expm1Spec : UnaryOpSpec
{
    public const string OpType = "Expm1";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_Expm1Grad</c>: g · exp(x).</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        using (g.ControlDependencies(c.Grad.Op)) return [c.Grad * g.Exp(c.X)];
    }

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(Expm1Functor<>);
}

internal readonly struct Expm1Functor<T> : IUnaryFunctor<Expm1Functor<T>, T, T> where T : IFloatingPointIeee754<T>
{
    public static T Apply(T x) => T.CreateTruncating(AccurateMath.Expm1(double.CreateTruncating(x)));
}

public sealed partial class Graph
{
    /// <summary>Expm1: e^x − 1, accurate for small x (<c>tf.expm1</c>).</summary>
    public Output Expm1(Output x, string? name = null) => Unary(Expm1Spec.OpType, x, name);
}
