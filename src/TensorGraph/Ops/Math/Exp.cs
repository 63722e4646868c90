using System.Numerics;
using System.Numerics.Tensors;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Exp: e^x (<c>tf.exp</c>).</summary>
internal sealed class ExpSpec : UnaryOpSpec
{
    public const string OpType = "Exp";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_ExpGrad</c>: g · exp(x), reusing the output.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        using (c.Graph.ControlDependencies(c.Grad.Op)) return [c.Graph.Multiply(c.Grad, c.Out())];
    }

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(ExpFunctor<>);
}

internal readonly struct ExpFunctor<T> : IUnaryFunctor<ExpFunctor<T>, T, T> where T : IFloatingPointIeee754<T>
{
    public static T Apply(T x) => T.Exp(x);

    public static void Span(ReadOnlySpan<T> x, Span<T> d) => TensorPrimitives.Exp(x, d);
}

public sealed partial class Graph
{
    /// <summary>Exp: e^x (<c>tf.exp</c>).</summary>
    public Output Exp(Output x, string? name = null) => Unary(ExpSpec.OpType, x, name);
}
