using System.Numerics.Tensors;
using System.Numerics;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>RealDiv: x / y (<c>tf.realdiv</c>; integer inputs divide with truncation and fail on zero).</summary>
internal sealed class RealDivSpec : BinaryOpSpec
{
    public const string OpType = "RealDiv";

    public override string Type => OpType;

    protected override DType[] Allowed => TypeSets.Real;

    protected override Type Functor => typeof(RealDivOp<>);
}

internal readonly struct RealDivOp<T> : IBinaryOp<RealDivOp<T>, T, T> where T : INumber<T>
{
    public static T Apply(T x, T y) => DivChecks.Div(x, y);

    public static void Span(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d)
    {
        if (!DivChecks.IsFloat<T>()) { for (int i = 0; i < d.Length; i++) d[i] = DivChecks.Div(x[i], y[i]); return; }
        TensorPrimitives.Divide(x, y, d);
    }

    public static void SpanScalar(ReadOnlySpan<T> x, T y, Span<T> d)
    {
        if (!DivChecks.IsFloat<T>()) { for (int i = 0; i < d.Length; i++) d[i] = DivChecks.Div(x[i], y); return; }
        TensorPrimitives.Divide(x, y, d);
    }
}

internal static class DivChecks
{
    public static bool IsFloat<T>() => typeof(T) == typeof(float) || typeof(T) == typeof(double);

    public static T Div<T>(T x, T y) where T : INumber<T>
    {
        if (IsFloat<T>()) return x / y;
        if (T.IsZero(y)) throw new InvalidArgumentException("Integer division by zero");
        if (IsMinusOne(y)) return Negate(x);
        return x / y;
    }

    /// <summary>True when <paramref name="y"/> is -1 (signed integer types only).</summary>
    public static bool IsMinusOne<T>(T y) where T : INumber<T> => T.IsNegative(y) && y == T.Zero - T.One;

    /// <summary>
    /// x / -1. TF's CPU kernels divide in C++: int8 and int16 are promoted to int, so the minimum
    /// divided by -1 wraps around to itself, as here; for int32 and int64 it is undefined (the
    /// division traps), so that quotient is an InvalidArgument error instead.
    /// </summary>
    public static T Negate<T>(T x) where T : INumber<T>
    {
        if (typeof(T) == typeof(int) || typeof(T) == typeof(long))
        {
            if (T.IsNegative(x) && T.IsNegative(T.Zero - x))
                throw new InvalidArgumentException(FormattableString.Invariant(
                    $"Integer division overflow: {x} / -1 is not representable in {(typeof(T) == typeof(int) ? "int32" : "int64")}"));
        }
        return T.Zero - x;
    }
}

public sealed partial class Graph
{
    /// <summary>RealDiv: x / y (<c>tf.realdiv</c>; integer inputs divide with truncation and fail on zero).</summary>
    public Output RealDiv(Output x, Output y, string? name = null) => Binary(RealDivSpec.OpType, x, y, name);
}
