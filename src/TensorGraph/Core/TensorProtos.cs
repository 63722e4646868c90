using System.Runtime.InteropServices;
using Google.Protobuf;
using TensorGraph.Proto;

namespace TensorGraph;

/// <summary>Conversion between host <see cref="Tensor"/>s and TF's <c>TensorProto</c>.</summary>
public static class TensorProtos
{
    /// <summary>
    /// Encodes a tensor the way TF's Python writes constants: scalars in the typed <c>*_val</c>
    /// field, larger numeric tensors as <c>tensor_content</c>, strings in <c>string_val</c>.
    /// </summary>
    public static TensorProto ToProto(Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        var p = new TensorProto { Dtype = t.DType.ToProto(), TensorShape = Shape.FromSpan(t.Dims).ToProto() };
        if (t.DType == DType.String)
        {
            foreach (var b in t.Span<byte[]>()) p.StringVal.Add(ByteString.CopyFrom(b));
            return p;
        }
        if (t.Size != 1)
        {
            p.TensorContent = ByteString.CopyFrom(RawBytes(t));
            return p;
        }
        switch (t.DType)
        {
            case DType.Float32: p.FloatVal.Add(t.Span<float>()[0]); break;
            case DType.Float64: p.DoubleVal.Add(t.Span<double>()[0]); break;
            case DType.Int32: p.IntVal.Add(t.Span<int>()[0]); break;
            case DType.Int16: p.IntVal.Add(t.Span<short>()[0]); break;
            case DType.Int8: p.IntVal.Add(t.Span<sbyte>()[0]); break;
            case DType.UInt8: p.IntVal.Add(t.Span<byte>()[0]); break;
            case DType.UInt16: p.IntVal.Add(t.Span<ushort>()[0]); break;
            case DType.Int64: p.Int64Val.Add(t.Span<long>()[0]); break;
            case DType.Bool: p.BoolVal.Add(t.Span<bool>()[0]); break;
            default: throw new UnimplementedException($"Cannot encode dtype {t.DType}");
        }
        return p;
    }

    /// <summary>Little-endian row-major element bytes of a numeric/bool tensor.</summary>
    internal static byte[] RawBytes(Tensor t) => t.DType switch
    {
        DType.Float32 => MemoryMarshal.AsBytes(t.Span<float>()).ToArray(),
        DType.Float64 => MemoryMarshal.AsBytes(t.Span<double>()).ToArray(),
        DType.Int32 => MemoryMarshal.AsBytes(t.Span<int>()).ToArray(),
        DType.Int64 => MemoryMarshal.AsBytes(t.Span<long>()).ToArray(),
        DType.Int16 => MemoryMarshal.AsBytes(t.Span<short>()).ToArray(),
        DType.UInt16 => MemoryMarshal.AsBytes(t.Span<ushort>()).ToArray(),
        DType.Int8 => MemoryMarshal.AsBytes(t.Span<sbyte>()).ToArray(),
        DType.UInt8 => t.Span<byte>().ToArray(),
        DType.Bool => MemoryMarshal.AsBytes(t.Span<bool>()).ToArray(),
        _ => throw new UnimplementedException($"dtype {t.DType} has no raw byte layout"),
    };

    /// <summary>
    /// Decodes a <c>TensorProto</c>, applying TF's fill rule for short <c>*_val</c> lists (the
    /// last value repeats; no values means zeros). The element count is checked before anything
    /// is allocated: one that overflows 64 bits is an <see cref="InvalidArgumentException"/>, one
    /// beyond <see cref="MemoryLimits.MaxTensorBytes"/> a <see cref="ResourceExhaustedException"/>.
    /// </summary>
    public static Tensor FromProto(TensorProto p)
    {
        ArgumentNullException.ThrowIfNull(p);
        var dtype = DTypes.FromProto(p.Dtype);
        var shape = Shape.FromProto(p.TensorShape ?? new TensorShapeProto());
        if (!shape.IsFullyDefined) throw new InvalidArgumentException($"TensorProto has a shape that is not fully defined: {shape}");
        var dims = shape.ToArray();
        long n = TensorSize.Elements(dims);
        if (dtype != DType.String && !p.TensorContent.IsEmpty)
        {
            // Checked before allocating: a few bytes of header cannot claim gigabytes of content.
            long bytes = TensorSize.Bytes(dtype, n);
            if (p.TensorContent.Length != bytes)
                throw new InvalidArgumentException($"TensorProto tensor_content has {p.TensorContent.Length} bytes; shape {shape} of {dtype.Name()} needs {bytes}");
        }
        // Short *_val lists (TF's fill rule) may describe a huge tensor in a few bytes: the
        // per-tensor budget decides before anything is allocated.
        var t = Tensor.Zeros(dtype, dims);
        if (dtype == DType.String)
        {
            var dst = t.Span<byte[]>();
            Fill(dst, p.StringVal.Count, i => p.StringVal[i].ToByteArray());
            return t;
        }
        if (!p.TensorContent.IsEmpty)
        {
            var src = p.TensorContent.Span;
            switch (dtype)
            {
                case DType.Float32: MemoryMarshal.Cast<byte, float>(src).CopyTo(t.Span<float>()); break;
                case DType.Float64: MemoryMarshal.Cast<byte, double>(src).CopyTo(t.Span<double>()); break;
                case DType.Int32: MemoryMarshal.Cast<byte, int>(src).CopyTo(t.Span<int>()); break;
                case DType.Int64: MemoryMarshal.Cast<byte, long>(src).CopyTo(t.Span<long>()); break;
                case DType.Int16: MemoryMarshal.Cast<byte, short>(src).CopyTo(t.Span<short>()); break;
                case DType.UInt16: MemoryMarshal.Cast<byte, ushort>(src).CopyTo(t.Span<ushort>()); break;
                case DType.Int8: MemoryMarshal.Cast<byte, sbyte>(src).CopyTo(t.Span<sbyte>()); break;
                case DType.UInt8: src.CopyTo(t.Span<byte>()); break;
                case DType.Bool:
                    var bd = t.Span<bool>();
                    for (int i = 0; i < bd.Length; i++) bd[i] = src[i] != 0;
                    break;
                default: throw new UnimplementedException($"Cannot decode dtype {dtype}");
            }
            return t;
        }
        switch (dtype)
        {
            case DType.Float32: Fill(t.Span<float>(), p.FloatVal.Count, i => p.FloatVal[i]); break;
            case DType.Float64: Fill(t.Span<double>(), p.DoubleVal.Count, i => p.DoubleVal[i]); break;
            case DType.Int32: Fill(t.Span<int>(), p.IntVal.Count, i => p.IntVal[i]); break;
            case DType.Int16: Fill(t.Span<short>(), p.IntVal.Count, i => (short)p.IntVal[i]); break;
            case DType.UInt16: Fill(t.Span<ushort>(), p.IntVal.Count, i => (ushort)p.IntVal[i]); break;
            case DType.Int8: Fill(t.Span<sbyte>(), p.IntVal.Count, i => (sbyte)p.IntVal[i]); break;
            case DType.UInt8: Fill(t.Span<byte>(), p.IntVal.Count, i => (byte)p.IntVal[i]); break;
            case DType.Int64: Fill(t.Span<long>(), p.Int64Val.Count, i => p.Int64Val[i]); break;
            case DType.Bool: Fill(t.Span<bool>(), p.BoolVal.Count, i => p.BoolVal[i]); break;
            default: throw new UnimplementedException($"Cannot decode dtype {dtype}");
        }
        return t;
    }

    private static void Fill<T>(Span<T> dst, int count, Func<int, T> get)
    {
        if (count == 0 || dst.Length == 0) return;
        if (count > dst.Length)
        {
            // TF copies the first n values; more values than elements is tolerated.
            count = dst.Length;
        }
        for (int i = 0; i < count; i++) dst[i] = get(i);
        if (count < dst.Length) dst[count..].Fill(dst[count - 1]);
    }
}
