using System.Numerics;
using System.Numerics.Tensors;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Log: natural logarithm (<c>tf.log</c>).</summary>
internal sealed class LogSpec : UnaryOpSpec
{
    public const string OpType = "Log";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_LogGrad</c>: g / x.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        using (c.Graph.ControlDependencies(c.Grad.Op)) return [c.Graph.Multiply(c.Grad, c.Graph.Reciprocal(c.X))];
    }

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(LogFunctor<>);
}

internal readonly struct LogFunctor<T> : IUnaryFunctor<LogFunctor<T>, T, T> where T : IFloatingPointIeee754<T>
{
    public static T Apply(T x) => T.Log(x);

    public static void Span(ReadOnlySpan<T> x, Span<T> d) => TensorPrimitives.Log(x, d);
}

public sealed partial class Graph
{
    /// <summary>Log: natural logarithm (<c>tf.log</c>).</summary>
    public Output Log(Output x, string? name = null) => Unary(LogSpec.OpType, x, name);
}
