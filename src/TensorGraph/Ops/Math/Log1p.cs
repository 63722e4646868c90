using System.Numerics;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Log1p: ln(1 + x), accurate for small x (<c>tf.log1p</c>).</summary>
internal sealed class Log1pSpec : UnaryOpSpec
{
    public const string OpType = "Log1p";

    public override string Type => OpType;

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(Log1pOp<>);
}

internal readonly struct Log1pOp<T> : IUnaryOp<Log1pOp<T>, T, T> where T : IFloatingPointIeee754<T>
{
    public static T Apply(T x) => T.CreateTruncating(AccurateMath.Log1p(double.CreateTruncating(x)));
}

/// <summary>log1p and expm1 without the cancellation of the naive formulas.</summary>
internal static class AccurateMath
{
    /// <summary>ln(1 + x): log(u)·x/(u − 1) with u = 1 + x cancels the rounding error of u (Goldberg).</summary>
    public static double Log1p(double x)
    {
        double u = 1 + x;
        if (u == 1) return x;
        if (double.IsInfinity(u) || u <= 0) return Math.Log(u);
        return Math.Log(u) * x / (u - 1);
    }

    /// <summary>e^x − 1: (u − 1)·x/ln(u) with u = e^x cancels the rounding error of u (Kahan).</summary>
    public static double Expm1(double x)
    {
        if (double.IsNaN(x)) return x;
        double u = Math.Exp(x);
        if (u == 1) return x;
        double um1 = u - 1;
        if (um1 == -1 || double.IsInfinity(u)) return um1;
        return um1 * x / Math.Log(u);
    }
}

public sealed partial class Graph
{
    /// <summary>Log1p: ln(1 + x), accurate for small x (<c>tf.log1p</c>).</summary>
    public Output Log1p(Output x, string? name = null) => Unary(Log1pSpec.OpType, x, name);
}
