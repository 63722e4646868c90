using TensorGraph.Proto;

namespace TensorGraph;

/// <summary>Element types of tensors, numbered exactly as TensorFlow's <c>DataType</c> enum.</summary>
public enum DType
{
    /// <summary>Not a valid type.</summary>
    Invalid = 0,
    /// <summary>32-bit IEEE float (<c>DT_FLOAT</c>).</summary>
    Float32 = 1,
    /// <summary>64-bit IEEE float (<c>DT_DOUBLE</c>).</summary>
    Float64 = 2,
    /// <summary>32-bit signed integer.</summary>
    Int32 = 3,
    /// <summary>8-bit unsigned integer.</summary>
    UInt8 = 4,
    /// <summary>16-bit signed integer.</summary>
    Int16 = 5,
    /// <summary>8-bit signed integer.</summary>
    Int8 = 6,
    /// <summary>Variable-length byte string.</summary>
    String = 7,
    /// <summary>64-bit signed integer.</summary>
    Int64 = 9,
    /// <summary>Boolean.</summary>
    Bool = 10,
    /// <summary>16-bit unsigned integer.</summary>
    UInt16 = 17,
    /// <summary>A handle to a resource such as a resource variable (<c>DT_RESOURCE</c>).</summary>
    Resource = 20,
    /// <summary>An opaque host value such as a tf.data dataset (<c>DT_VARIANT</c>).</summary>
    Variant = 21,
}

/// <summary>Facts about <see cref="DType"/> values.</summary>
public static class DTypes
{
    /// <summary>Size in bytes of one element (0 for strings).</summary>
    public static int Size(this DType t) => t switch
    {
        DType.Float32 or DType.Int32 => 4,
        DType.Float64 or DType.Int64 => 8,
        DType.Int16 or DType.UInt16 => 2,
        DType.UInt8 or DType.Int8 or DType.Bool => 1,
        _ => 0,
    };

    /// <summary>True for float32 and float64.</summary>
    public static bool IsFloating(this DType t) => t is DType.Float32 or DType.Float64;

    /// <summary>True for the integer types.</summary>
    public static bool IsInteger(this DType t) =>
        t is DType.Int32 or DType.Int64 or DType.Int16 or DType.Int8 or DType.UInt8 or DType.UInt16;

    /// <summary>True for the numeric (integer or floating) types.</summary>
    public static bool IsNumeric(this DType t) => t.IsFloating() || t.IsInteger();

    /// <summary>The numpy-style name: <c>float32</c>, <c>int64</c>, <c>bool</c>, <c>string</c>.</summary>
    public static string Name(this DType t) => t switch
    {
        DType.Float32 => "float32",
        DType.Float64 => "float64",
        DType.Int32 => "int32",
        DType.Int64 => "int64",
        DType.Int16 => "int16",
        DType.Int8 => "int8",
        DType.UInt8 => "uint8",
        DType.UInt16 => "uint16",
        DType.Bool => "bool",
        DType.String => "string",
        DType.Resource => "resource",
        DType.Variant => "variant",
        _ => "invalid",
    };

    /// <summary>The .NET element type used to store values of this dtype (strings are stored as <c>byte[]</c>).</summary>
    public static Type ClrType(this DType t) => t switch
    {
        DType.Float32 => typeof(float),
        DType.Float64 => typeof(double),
        DType.Int32 => typeof(int),
        DType.Int64 => typeof(long),
        DType.Int16 => typeof(short),
        DType.Int8 => typeof(sbyte),
        DType.UInt8 => typeof(byte),
        DType.UInt16 => typeof(ushort),
        DType.Bool => typeof(bool),
        DType.String => typeof(byte[]),
        DType.Resource or DType.Variant => typeof(object),
        _ => throw new InvalidArgumentException($"dtype {t} has no element type"),
    };

    /// <summary>The dtype stored as the .NET type <paramref name="clr"/>.</summary>
    public static DType FromClrType(Type clr)
    {
        if (clr == typeof(float)) return DType.Float32;
        if (clr == typeof(double)) return DType.Float64;
        if (clr == typeof(int)) return DType.Int32;
        if (clr == typeof(long)) return DType.Int64;
        if (clr == typeof(short)) return DType.Int16;
        if (clr == typeof(sbyte)) return DType.Int8;
        if (clr == typeof(byte)) return DType.UInt8;
        if (clr == typeof(ushort)) return DType.UInt16;
        if (clr == typeof(bool)) return DType.Bool;
        if (clr == typeof(string) || clr == typeof(byte[])) return DType.String;
        throw new InvalidArgumentException($"The .NET type {clr.Name} has no TensorFlow dtype");
    }

    /// <summary>The dtype stored as <typeparamref name="T"/>.</summary>
    public static DType Of<T>() => FromClrType(typeof(T));

    /// <summary>Parses <c>float32</c>, <c>float</c>, <c>DT_FLOAT</c>, <c>int32</c>, … into a dtype.</summary>
    public static DType Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "float32" or "float" or "dt_float" => DType.Float32,
        "float64" or "double" or "dt_double" => DType.Float64,
        "int32" or "int" or "dt_int32" => DType.Int32,
        "int64" or "long" or "dt_int64" => DType.Int64,
        "int16" or "dt_int16" => DType.Int16,
        "int8" or "dt_int8" => DType.Int8,
        "uint8" or "dt_uint8" => DType.UInt8,
        "uint16" or "dt_uint16" => DType.UInt16,
        "bool" or "dt_bool" => DType.Bool,
        "string" or "dt_string" => DType.String,
        "variant" or "dt_variant" => DType.Variant,
        _ => throw new InvalidArgumentException($"Unknown dtype '{name}'"),
    };

    internal static DataType ToProto(this DType t) => (DataType)(int)t;

    /// <summary>Maps a proto DataType (ref types become their base type) to a supported dtype.</summary>
    internal static DType FromProto(DataType t)
    {
        int v = (int)t;
        if (v > 100) v -= 100;
        var d = (DType)v;
        if (!Enum.IsDefined(d) || d == DType.Invalid)
            throw new UnimplementedException($"DataType {t} is not supported");
        return d;
    }
}
