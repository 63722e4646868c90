using Google.Protobuf;
using TensorGraph.Proto;

namespace TensorGraph.Serving;

/// <summary>Tensor conversions the server needs: TF Serving's response encoding, and batch concatenation and splitting along dimension 0.</summary>
internal static class TensorCodec
{
    /// <summary>
    /// Encodes like TF's <c>Tensor::AsProtoField</c> (TF Serving's default for Predict outputs):
    /// every element in the typed <c>*_val</c> field.
    /// </summary>
    public static TensorProto AsProtoField(Tensor t)
    {
        var p = new TensorProto { Dtype = (DataType)(int)t.DType, TensorShape = t.Shape.ToProto() };
        switch (t.DType)
        {
            case DType.Float32: p.FloatVal.AddRange(t.AsSpan<float>().ToArray()); break;
            case DType.Float64: p.DoubleVal.AddRange(t.AsSpan<double>().ToArray()); break;
            case DType.Int32: p.IntVal.AddRange(t.AsSpan<int>().ToArray()); break;
            case DType.Int16: foreach (var v in t.AsSpan<short>()) p.IntVal.Add(v); break;
            case DType.Int8: foreach (var v in t.AsSpan<sbyte>()) p.IntVal.Add(v); break;
            case DType.UInt8: foreach (var v in t.AsSpan<byte>()) p.IntVal.Add(v); break;
            case DType.UInt16: foreach (var v in t.AsSpan<ushort>()) p.IntVal.Add(v); break;
            case DType.Int64: p.Int64Val.AddRange(t.AsSpan<long>().ToArray()); break;
            case DType.Bool: p.BoolVal.AddRange(t.AsSpan<bool>().ToArray()); break;
            case DType.String: foreach (var b in t.AsSpan<byte[]>()) p.StringVal.Add(ByteString.CopyFrom(b)); break;
            default: throw new ServingException(Grpc.Core.StatusCode.Unimplemented, $"Cannot encode a tensor of dtype {t.DType.Name()} in a response");
        }
        return p;
    }

    /// <summary>Decodes a request tensor; a malformed one is INVALID_ARGUMENT naming <paramref name="alias"/>.</summary>
    public static Tensor Decode(TensorProto p, string alias)
    {
        try
        {
            return TensorProtos.FromProto(p);
        }
        catch (ResourceExhaustedException e)
        {
            throw new ServingException(Grpc.Core.StatusCode.ResourceExhausted, $"tensor parsing error: {alias}: {e.Message}", e);
        }
        catch (TensorGraphException e)
        {
            throw new ServingException(Grpc.Core.StatusCode.InvalidArgument, $"tensor parsing error: {alias}: {e.Message}", e);
        }
    }

    /// <summary>Concatenates tensors of one dtype whose dimensions past the first agree, along dimension 0.</summary>
    public static Tensor Concat(IReadOnlyList<Tensor> parts)
    {
        if (parts.Count == 1) return parts[0];
        return parts[0].DType switch
        {
            DType.Float32 => Concat<float>(parts),
            DType.Float64 => Concat<double>(parts),
            DType.Int32 => Concat<int>(parts),
            DType.Int64 => Concat<long>(parts),
            DType.Int16 => Concat<short>(parts),
            DType.Int8 => Concat<sbyte>(parts),
            DType.UInt8 => Concat<byte>(parts),
            DType.UInt16 => Concat<ushort>(parts),
            DType.Bool => Concat<bool>(parts),
            DType.String => Concat<byte[]>(parts),
            _ => throw new ServingException(Grpc.Core.StatusCode.Unimplemented, $"Cannot batch tensors of dtype {parts[0].DType.Name()}"),
        };
    }

    private static Tensor Concat<T>(IReadOnlyList<Tensor> parts)
    {
        int total = 0, rows = 0;
        foreach (var p in parts)
        {
            total += p.Size;
            rows += p.Dims[0];
        }
        var data = new T[total];
        int at = 0;
        foreach (var p in parts)
        {
            p.AsSpan<T>().CopyTo(data.AsSpan(at));
            at += p.Size;
        }
        var dims = parts[0].Dims.ToArray();
        dims[0] = rows;
        return Tensor.Create(data, dims);
    }

    /// <summary>Rows <paramref name="start"/> .. <paramref name="start"/>+<paramref name="count"/> of <paramref name="t"/> (dimension 0).</summary>
    public static Tensor Rows(Tensor t, int start, int count) => t.DType switch
    {
        DType.Float32 => Rows<float>(t, start, count),
        DType.Float64 => Rows<double>(t, start, count),
        DType.Int32 => Rows<int>(t, start, count),
        DType.Int64 => Rows<long>(t, start, count),
        DType.Int16 => Rows<short>(t, start, count),
        DType.Int8 => Rows<sbyte>(t, start, count),
        DType.UInt8 => Rows<byte>(t, start, count),
        DType.UInt16 => Rows<ushort>(t, start, count),
        DType.Bool => Rows<bool>(t, start, count),
        DType.String => Rows<byte[]>(t, start, count),
        _ => throw new ServingException(Grpc.Core.StatusCode.Unimplemented, $"Cannot split a batched tensor of dtype {t.DType.Name()}"),
    };

    private static Tensor Rows<T>(Tensor t, int start, int count)
    {
        int rows = t.Dims[0];
        int per = rows == 0 ? 0 : t.Size / rows;
        var dims = t.Dims.ToArray();
        dims[0] = count;
        return Tensor.Create(t.AsSpan<T>().Slice(start * per, count * per).ToArray(), dims);
    }
}
