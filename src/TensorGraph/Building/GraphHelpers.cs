using TensorGraph.Proto;

namespace TensorGraph;

public sealed partial class Graph
{
    /// <summary>Adds a binary op with attr T from <paramref name="x"/>.</summary>
    internal Output Binary(string type, Output x, Output y, string? name, string? defaultName = null) =>
        AddOp(type, [x, y], name, defaultName, [new("T", Attr.Type(x.DType))])[0];

    /// <summary>
    /// A binary op with one literal operand, as TF's op wrappers build it: in a scope named
    /// <paramref name="name"/> (default the op type), the literal becomes a <c>Const</c> named after
    /// its argument (<c>Pow/y</c>) converted to the tensor's dtype, and the op takes the scope's name.
    /// </summary>
    internal Output BinaryWithLiteral(string type, Output tensor, Tensor literal, bool literalOnLeft, string? name)
    {
        ArgumentNullException.ThrowIfNull(literal);
        using var scope = NameScope(name ?? type);
        var exact = CurrentNameScope + "/";
        var c = ConstLike(literal, tensor, literalOnLeft ? "x" : "y");
        return literalOnLeft ? Binary(type, c, tensor, exact) : Binary(type, tensor, c, exact);
    }

    /// <summary>Adds a unary op with attr T from <paramref name="x"/>.</summary>
    internal Output Unary(string type, Output x, string? name, string? defaultName = null) =>
        AddOp(type, [x], name, defaultName, [new("T", Attr.Type(x.DType))])[0];

    internal static KeyValuePair<string, AttrValue> NamedAttr(string name, AttrValue v) => new(name, v);

    /// <summary>
    /// Converts a literal to <paramref name="dtype"/> the way TF converts Python numbers: exact
    /// numeric conversions only (2 → 2.0f is fine; 0.5 → int32 is an error).
    /// </summary>
    internal static Tensor ConvertLiteral(Tensor value, DType dtype)
    {
        if (value.DType == dtype) return value;
        if (!value.DType.IsNumeric() || !dtype.IsNumeric())
            throw new InvalidArgumentException($"Cannot convert a {value.DType.Name()} value to a tensor of dtype {dtype.Name()}");
        var r = Tensor.Zeros(dtype, value.DimsArray);
        for (int i = 0; i < value.Size; i++)
        {
            double v = value.GetDouble(i);
            bool ok = dtype switch
            {
                DType.Float32 => double.IsNaN(v) || double.IsInfinity(v) || Math.Abs(v) <= float.MaxValue,
                DType.Float64 => true,
                _ => v == Math.Floor(v) && v >= MinOf(dtype) && v <= MaxOf(dtype),
            };
            if (!ok) throw new InvalidArgumentException($"Value {v} cannot be converted to a tensor of dtype {dtype.Name()} without loss");
            SetFromDouble(r, i, v);
        }
        return r;
    }

    private static double MinOf(DType t) => t switch
    {
        DType.Int32 => int.MinValue, DType.Int64 => long.MinValue, DType.Int16 => short.MinValue,
        DType.Int8 => sbyte.MinValue, _ => 0,
    };

    private static double MaxOf(DType t) => t switch
    {
        DType.Int32 => int.MaxValue, DType.Int64 => long.MaxValue, DType.Int16 => short.MaxValue,
        DType.Int8 => sbyte.MaxValue, DType.UInt8 => byte.MaxValue, DType.UInt16 => ushort.MaxValue, _ => 0,
    };

    internal static void SetFromDouble(Tensor t, int i, double v)
    {
        switch (t.DType)
        {
            case DType.Float32: t.Span<float>()[i] = (float)v; break;
            case DType.Float64: t.Span<double>()[i] = v; break;
            case DType.Int32: t.Span<int>()[i] = (int)v; break;
            case DType.Int64: t.Span<long>()[i] = (long)v; break;
            case DType.Int16: t.Span<short>()[i] = (short)v; break;
            case DType.Int8: t.Span<sbyte>()[i] = (sbyte)v; break;
            case DType.UInt8: t.Span<byte>()[i] = (byte)v; break;
            case DType.UInt16: t.Span<ushort>()[i] = (ushort)v; break;
            case DType.Bool: t.Span<bool>()[i] = v != 0; break;
            default: throw new InvalidArgumentException($"Cannot store a number in a {t.DType.Name()} tensor");
        }
    }

    /// <summary>
    /// An operator with a literal operand, named like TF's operator overloads: inside scope
    /// <paramref name="scope"/> the literal becomes Const <c>y</c> (or <c>x</c> when it is on the
    /// left) and the op takes the scope's name (<c>mul/y</c> → <c>mul</c>).
    /// </summary>
    internal Output ScopedOperator(string scope, Output tensor, Tensor literal, bool literalOnLeft)
    {
        using var s = NameScope(scope);
        var exact = CurrentNameScope + "/";
        var c = ConstLike(literal, tensor, literalOnLeft ? "x" : "y");
        var (a, b) = literalOnLeft ? (c, tensor) : (tensor, c);
        return scope switch
        {
            "add" => AddOperator(a, b, exact),
            "sub" => Subtract(a, b, exact),
            "mul" => Multiply(a, b, exact),
            "truediv" => Divide(a, b, exact),
            "mod" => FloorMod(a, b, exact),
            LessSpec.OpType => Less(a, b, exact),
            LessEqualSpec.OpType => LessEqual(a, b, exact),
            GreaterSpec.OpType => Greater(a, b, exact),
            GreaterEqualSpec.OpType => GreaterEqual(a, b, exact),
            _ => throw new InternalException($"Unknown operator scope {scope}"),
        };
    }

    /// <summary>A Const holding <paramref name="value"/> converted to <paramref name="like"/>'s dtype.</summary>
    internal Output ConstLike(Tensor value, Output like, string? name = null) =>
        Constant(ConvertLiteral(value, like.DType), name: name);

    /// <summary>
    /// TF's <c>tf.divide</c> / <c>truediv</c>: integer inputs are first cast to float
    /// (int8/int16/uint8/uint16 → float32, int32/int64 → float64), then RealDiv.
    /// </summary>
    public Output Divide(Output x, Output y, string? name = null)
    {
        using var scope = NameScope(name ?? "truediv");
        var exact = CurrentNameScope + "/";
        if (x.DType != y.DType)
            throw new InvalidArgumentException($"x and y must have the same dtype, got {x.DType.Name()} != {y.DType.Name()}");
        var target = x.DType switch
        {
            DType.Int8 or DType.Int16 or DType.UInt8 or DType.UInt16 => DType.Float32,
            DType.Int32 or DType.Int64 => DType.Float64,
            _ => x.DType,
        };
        if (target != x.DType)
        {
            x = Cast(x, target);
            y = Cast(y, target);
        }
        return Binary(RealDivSpec.OpType, x, y, exact);
    }

    /// <summary>
    /// TF's <c>Tensor.set_shape</c>: makes <paramref name="tensor"/>'s static shape the more specific
    /// of its current shape and <paramref name="shape"/>, without adding a node (ops built from it
    /// afterwards see the new shape). Incompatible shapes are an InvalidArgument error.
    /// </summary>
    public void SetShape(Output tensor, Shape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (tensor.Op is null || !ReferenceEquals(tensor.Graph, this))
            throw new InvalidArgumentException($"SetShape: tensor '{(tensor.Op is null ? "(unset)" : tensor.Name)}' does not belong to this graph");
        lock (SyncRoot)
        {
            var current = tensor.Shape;
            if (!current.IsCompatibleWith(shape))
                throw new InvalidArgumentException(
                    $"Shapes {current} and {shape} are incompatible (SetShape of '{tensor.Name}'){SourceLocation.Suffix(tensor.Op.Location, tensor.Op.Name)}");
            tensor.Op.SetOutputShape(tensor.Index, current.MergeWith(shape));
        }
    }
}
