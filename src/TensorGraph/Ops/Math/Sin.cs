using System.Numerics;
using System.Numerics.Tensors;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Sin: sine (<c>tf.sin</c>).</summary>
internal sealed class SinSpec : UnaryOpSpec
{
    public const string OpType = "Sin";

    public override string Type => OpType;

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(SinFunctor<>);

    /// <summary>d sin(x) = cos(x) dx (TF 1.15's <c>_SinGrad</c>).</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        using (g.ControlDependencies(c.Grad.Op)) return [c.Grad * g.Cos(c.X)];
    }
}

internal readonly struct SinFunctor<T> : IUnaryFunctor<SinFunctor<T>, T, T> where T : IFloatingPointIeee754<T>
{
    public static T Apply(T x) => T.Sin(x);

    public static void Span(ReadOnlySpan<T> x, Span<T> d) => TensorPrimitives.Sin(x, d);
}

public sealed partial class Graph
{
    /// <summary>Sin: sine (<c>tf.sin</c>).</summary>
    public Output Sin(Output x, string? name = null) => Unary(SinSpec.OpType, x, name);
}
