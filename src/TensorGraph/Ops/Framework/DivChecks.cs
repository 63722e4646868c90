using System.Numerics;

namespace TensorGraph;

/// <summary>Integer-division checks shared by the division ops (division by zero, x / -1 overflow).</summary>
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
