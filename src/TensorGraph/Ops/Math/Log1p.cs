using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Log1p: ln(1 + x), accurate for small x (<c>tf.log1p</c>).</summary>
internal sealed class Log1pSpec : UnaryOpSpec
{
    public const string OpType = "Log1p";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_Log1pGrad</c>: g / (1 + x).</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        using (g.ControlDependencies(c.Grad.Op))
            return [c.Grad * g.Reciprocal(Graph.ScalarOf(c.X.DType, 1) + c.X)];
    }

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(Log1pFunctor<>);
}

internal readonly struct Log1pFunctor<T> : IUnaryFunctor<Log1pFunctor<T>, T, T> where T : IFloatingPointIeee754<T>
{
    public static T Apply(T x) => T.CreateTruncating(AccurateMath.Log1p(double.CreateTruncating(x)));
}

public sealed partial class Graph
{
    /// <summary>Log1p: ln(1 + x), accurate for small x (<c>tf.log1p</c>).</summary>
    public Output Log1p(Output x, string? name = null) => Unary(Log1pSpec.OpType, x, name);
}
