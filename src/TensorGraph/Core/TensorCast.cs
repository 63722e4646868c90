using System.Numerics;

namespace TensorGraph;

public sealed partial class Tensor
{
    /// <summary>
    /// A copy of this tensor converted to <paramref name="dtype"/>, element by element, as numpy's
    /// <c>astype</c> and TF's <c>Cast</c> convert: float → integer truncates toward zero (NaN → 0,
    /// out-of-range values saturate), integer → narrower integer wraps, number → bool is
    /// <c>x != 0</c>, bool → number is 0 or 1. Strings convert only to strings. Returns a copy even
    /// when the dtype already matches.
    /// </summary>
    /// <exception cref="InvalidArgumentException">A string tensor to a number or a number to a string, or a dtype without numeric storage.</exception>
    public Tensor Cast(DType dtype)
    {
        if (dtype == DType) return Clone();
        if (!IsCastable(DType) || !IsCastable(dtype))
            throw new InvalidArgumentException($"Cannot convert a {DType.Name()} tensor to {dtype.Name()}");
        var result = Zeros(dtype, Dims.ToArray());
        CastInto(this, result, truncate: false);
        return result;
    }

    /// <summary>Whether <see cref="CastInto"/> converts from and to <paramref name="dtype"/>: the numeric dtypes and bool.</summary>
    internal static bool IsCastable(DType dtype) => dtype is DType.Float32 or DType.Float64 or DType.Int32 or DType.Int64
        or DType.Int16 or DType.Int8 or DType.UInt8 or DType.UInt16 or DType.Bool;

    /// <summary>
    /// Converts <paramref name="src"/>'s elements into <paramref name="dst"/> (same size, any two
    /// castable dtypes; equal dtypes copy). With <paramref name="truncate"/>, a float64 → float32
    /// conversion clears the 29 mantissa bits a float lacks first, so values are cut toward zero
    /// instead of rounded to nearest even (TF's <c>Cast</c> with <c>Truncate: true</c>).
    /// </summary>
    internal static void CastInto(Tensor src, Tensor dst, bool truncate)
    {
        if (src.DType == dst.DType) { Array.Copy(src.Data, dst.Data, src.Size); return; }
        if (truncate && src.DType == DType.Float64 && dst.DType == DType.Float32)
        {
            TruncateToFloat(src.Span<double>(), dst.Span<float>());
            return;
        }
        switch (src.DType)
        {
            case DType.Float32: From(src.Span<float>(), dst); break;
            case DType.Float64: From(src.Span<double>(), dst); break;
            case DType.Int32: From(src.Span<int>(), dst); break;
            case DType.Int64: From(src.Span<long>(), dst); break;
            case DType.Int16: From(src.Span<short>(), dst); break;
            case DType.Int8: From(src.Span<sbyte>(), dst); break;
            case DType.UInt8: From(src.Span<byte>(), dst); break;
            case DType.UInt16: From(src.Span<ushort>(), dst); break;
            case DType.Bool: FromBool(src.Span<bool>(), dst); break;
            default: throw new UnimplementedException($"Cast from {src.DType.Name()} is not supported");
        }
    }

    private static void From<T>(Span<T> s, Tensor o) where T : INumber<T>
    {
        switch (o.DType)
        {
            case DType.Float32: Conv(s, o.Span<float>()); break;
            case DType.Float64: Conv(s, o.Span<double>()); break;
            case DType.Int32: Conv(s, o.Span<int>()); break;
            case DType.Int64: Conv(s, o.Span<long>()); break;
            case DType.Int16: Conv(s, o.Span<short>()); break;
            case DType.Int8: Conv(s, o.Span<sbyte>()); break;
            case DType.UInt8: Conv(s, o.Span<byte>()); break;
            case DType.UInt16: Conv(s, o.Span<ushort>()); break;
            case DType.Bool:
                var d = o.Span<bool>();
                for (int i = 0; i < s.Length; i++) d[i] = !T.IsZero(s[i]);
                break;
            default: throw new UnimplementedException($"Cast to {o.DType.Name()} is not supported");
        }
    }

    private static void FromBool(Span<bool> s, Tensor o)
    {
        switch (o.DType)
        {
            case DType.Float32: Bools(s, o.Span<float>()); break;
            case DType.Float64: Bools(s, o.Span<double>()); break;
            case DType.Int32: Bools(s, o.Span<int>()); break;
            case DType.Int64: Bools(s, o.Span<long>()); break;
            case DType.Int16: Bools(s, o.Span<short>()); break;
            case DType.Int8: Bools(s, o.Span<sbyte>()); break;
            case DType.UInt8: Bools(s, o.Span<byte>()); break;
            case DType.UInt16: Bools(s, o.Span<ushort>()); break;
            default: throw new UnimplementedException($"Cast to {o.DType.Name()} is not supported");
        }
    }

    private static void Bools<TD>(Span<bool> s, Span<TD> d) where TD : INumber<TD>
    {
        for (int i = 0; i < s.Length; i++) d[i] = s[i] ? TD.One : TD.Zero;
    }

    /// <summary>TF 1.15's <c>LSBZeroSetter</c> (cast_op.h) for double → float; NaNs convert as usual.</summary>
    private static void TruncateToFloat(Span<double> s, Span<float> d)
    {
        const int Bits = 52 - 23;
        for (int i = 0; i < s.Length; i++)
        {
            double v = s[i];
            if (!double.IsNaN(v)) v = BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(v) & (-1L << Bits));
            d[i] = (float)v;
        }
    }

    private static void Conv<TS, TD>(Span<TS> s, Span<TD> d) where TS : INumber<TS> where TD : INumber<TD>
    {
        for (int i = 0; i < s.Length; i++) d[i] = TD.CreateTruncating(s[i]);
    }
}
