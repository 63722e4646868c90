using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>SqrtGrad(y, dy) = dy * 0.5 / y, where y = sqrt(x).</summary>
internal sealed class SqrtGradSpec : SameShapeBinaryOpSpec
{
    public const string OpType = "SqrtGrad";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_SqrtGradGrad</c>, so second derivatives work.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        using (g.ControlDependencies(c.Grad.Op))
        {
            var ga = g.RealDiv(c.Grad, c.X);
            return [g.Multiply(g.Negative(ga), c.Out()), g.Multiply(g.Constant(Graph.ScalarOf(ga.DType, 0.5)), ga)];
        }
    }

    protected override string[] InputArgs => ["y: T", "dy: T"];

    protected override string[] OutputArgs => ["z: T"];

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(SqrtGradFunctor<>);
}

/// <summary>RsqrtGrad(y, dy) = dy * -0.5 * y³, where y = 1/sqrt(x).</summary>
internal sealed class RsqrtGradSpec : SameShapeBinaryOpSpec
{
    public const string OpType = "RsqrtGrad";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_RsqrtGradGrad</c>, so second derivatives work.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var a = c.X;
        var b = c.Input(1);
        var ca = g.Multiply(g.Constant(Graph.ScalarOf(a.DType, -1.5)), g.Square(a));
        var ga = g.Multiply(g.Multiply(c.Grad, b), ca);
        var gb = g.RsqrtGrad(a, c.Grad);
        return [ga, gb];
    }

    protected override string[] InputArgs => ["y: T", "dy: T"];

    protected override string[] OutputArgs => ["z: T"];

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(RsqrtGradFunctor<>);
}

/// <summary>ReciprocalGrad(y, dy) = -dy * y², where y = 1/x.</summary>
internal sealed class ReciprocalGradSpec : SameShapeBinaryOpSpec
{
    public const string OpType = "ReciprocalGrad";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_ReciprocalGradGrad</c>, so second derivatives work.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var a = c.X;
        var b = c.Input(1);
        var ca = g.Multiply(g.Constant(Graph.ScalarOf(a.DType, -2)), a);
        return [g.Multiply(g.Multiply(c.Grad, b), ca), g.ReciprocalGrad(a, c.Grad)];
    }

    protected override string[] InputArgs => ["y: T", "dy: T"];

    protected override string[] OutputArgs => ["z: T"];

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(ReciprocalGradFunctor<>);
}

internal readonly struct SqrtGradFunctor<T> : IBinaryFunctor<SqrtGradFunctor<T>, T, T> where T : IFloatingPointIeee754<T>
{
    public static T Apply(T y, T dy) => dy * T.CreateTruncating(0.5) / y;
}

internal readonly struct RsqrtGradFunctor<T> : IBinaryFunctor<RsqrtGradFunctor<T>, T, T> where T : IFloatingPointIeee754<T>
{
    public static T Apply(T y, T dy) => dy * T.CreateTruncating(-0.5) * y * y * y;
}

internal readonly struct ReciprocalGradFunctor<T> : IBinaryFunctor<ReciprocalGradFunctor<T>, T, T> where T : IFloatingPointIeee754<T>
{
    public static T Apply(T y, T dy) => -dy * y * y;
}

public sealed partial class Graph
{
    /// <summary>A <c>SqrtGrad</c> node (gradient helper of Sqrt).</summary>
    public Output SqrtGrad(Output y, Output dy, string? name = null) => Binary(SqrtGradSpec.OpType, y, dy, name);

    /// <summary>A <c>RsqrtGrad</c> node (gradient helper of Rsqrt).</summary>
    public Output RsqrtGrad(Output y, Output dy, string? name = null) => Binary(RsqrtGradSpec.OpType, y, dy, name);

    /// <summary>A <c>ReciprocalGrad</c> node (gradient helper of Reciprocal).</summary>
    public Output ReciprocalGrad(Output y, Output dy, string? name = null) => Binary(ReciprocalGradSpec.OpType, y, dy, name);
}
