using System.Numerics;
using System.Numerics.Tensors;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Cos: cosine (<c>tf.cos</c>).</summary>
internal sealed class CosSpec : UnaryOpSpec
{
    public const string OpType = "Cos";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_CosGrad</c>: −g · sin(x).</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        using (g.ControlDependencies(c.Grad.Op)) return [-c.Grad * g.Sin(c.X)];
    }

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(CosFunctor<>);
}

internal readonly struct CosFunctor<T> : IUnaryFunctor<CosFunctor<T>, T, T> where T : IFloatingPointIeee754<T>
{
    public static T Apply(T x) => T.Cos(x);

    public static void Span(ReadOnlySpan<T> x, Span<T> d) => TensorPrimitives.Cos(x, d);
}

public sealed partial class Graph
{
    /// <summary>Cos: cosine (<c>tf.cos</c>).</summary>
    public Output Cos(Output x, string? name = null) => Unary(CosSpec.OpType, x, name);
}
