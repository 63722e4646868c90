namespace TensorGraph;

/// <summary>Fills a tensor with one scalar's value (the Fill and OnesLike kernels, and large constants).</summary>
internal static class TensorFill
{
    /// <summary>Sets every element of <paramref name="o"/> to the value of <paramref name="scalar"/> (same dtype).</summary>
    public static void FillWith(Tensor o, Tensor scalar)
    {
        switch (o.DType)
        {
            case DType.Float32: o.Span<float>().Fill(scalar.Span<float>()[0]); break;
            case DType.Float64: o.Span<double>().Fill(scalar.Span<double>()[0]); break;
            case DType.Int32: o.Span<int>().Fill(scalar.Span<int>()[0]); break;
            case DType.Int64: o.Span<long>().Fill(scalar.Span<long>()[0]); break;
            case DType.Int16: o.Span<short>().Fill(scalar.Span<short>()[0]); break;
            case DType.Int8: o.Span<sbyte>().Fill(scalar.Span<sbyte>()[0]); break;
            case DType.UInt8: o.Span<byte>().Fill(scalar.Span<byte>()[0]); break;
            case DType.UInt16: o.Span<ushort>().Fill(scalar.Span<ushort>()[0]); break;
            case DType.Bool: o.Span<bool>().Fill(scalar.Span<bool>()[0]); break;
            default: o.Span<byte[]>().Fill(scalar.Span<byte[]>()[0]); break;
        }
    }
}
