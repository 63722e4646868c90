using System.Globalization;
using TensorGraph.Kernels;

namespace TensorGraph.Serialization;

/// <summary>
/// A <c>shape_and_slice</c> string of TF's SaveV2/RestoreV2 (<c>checkpoint::ParseShapeAndSlice</c>):
/// the full tensor's dimensions, then one <c>start,length</c> (or <c>-</c> for the whole extent)
/// per dimension, joined by <c>:</c> — e.g. <c>"22 10 0,22:0,10"</c> for the one partition of a
/// [22, 10] partitioned variable, or <c>"10 0,5"</c> for the first half of a [10] vector.
/// </summary>
public sealed class TensorSliceSpec
{
    private TensorSliceSpec(int[] fullShape, int[] start, int[] length)
    {
        FullShape = fullShape;
        Start = start;
        Length = length;
    }

    /// <summary>The shape of the whole (unpartitioned) tensor.</summary>
    public IReadOnlyList<int> FullShape { get; }

    /// <summary>Where the slice begins in each dimension.</summary>
    public IReadOnlyList<int> Start { get; }

    /// <summary>The slice's extent in each dimension.</summary>
    public IReadOnlyList<int> Length { get; }

    /// <summary>True when the slice covers the whole tensor.</summary>
    public bool IsFull
    {
        get
        {
            for (int i = 0; i < FullShape.Count; i++) if (Start[i] != 0 || Length[i] != FullShape[i]) return false;
            return true;
        }
    }

    /// <summary>
    /// Parses <paramref name="shapeAndSlice"/>; an invalid string raises
    /// <see cref="InvalidArgumentException"/> with TF's wording.
    /// </summary>
    public static TensorSliceSpec Parse(string shapeAndSlice)
    {
        ArgumentNullException.ThrowIfNull(shapeAndSlice);
        var parts = shapeAndSlice.Split(' ');
        if (parts.Length < 2)
            throw new InvalidArgumentException($"Expected at least 2 splits in shape_and_slice '{shapeAndSlice}': the dimensions and the slice");
        int rank = parts.Length - 1;
        var full = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out full[i]))
                throw new InvalidArgumentException($"Expected an integer dimension at position {i} of shape_and_slice '{shapeAndSlice}', got '{parts[i]}'");
        }
        var dims = parts[^1].Split(':');
        if (dims.Length != rank)
            throw new InvalidArgumentException($"Expected {rank} dimensions in the slice of shape_and_slice '{shapeAndSlice}', got {dims.Length}");
        var start = new int[rank];
        var length = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            if (dims[i] == "-")
            {
                length[i] = full[i];
                continue;
            }
            var se = dims[i].Split(',');
            if (se.Length != 2 || !int.TryParse(se[0], NumberStyles.None, CultureInfo.InvariantCulture, out start[i]))
                throw new InvalidArgumentException($"Expected a pair of start and length for dimension {i} of shape_and_slice '{shapeAndSlice}', got '{dims[i]}'");
            if (se[1] == "-") length[i] = full[i] - start[i];
            else if (!int.TryParse(se[1], NumberStyles.None, CultureInfo.InvariantCulture, out length[i]))
                throw new InvalidArgumentException($"Expected a pair of start and length for dimension {i} of shape_and_slice '{shapeAndSlice}', got '{dims[i]}'");
            if ((long)start[i] + length[i] > full[i])
                throw new InvalidArgumentException($"Extent in dimension {i} of shape_and_slice '{shapeAndSlice}' ({start[i]} + {length[i]}) exceeds the dimension {full[i]}");
        }
        return new TensorSliceSpec(full, start, length);
    }

    /// <summary>This slice of <paramref name="full"/>, whose shape must be <see cref="FullShape"/>.</summary>
    public Tensor Extract(Tensor full)
    {
        ArgumentNullException.ThrowIfNull(full);
        if (!full.Dims.SequenceEqual(FullShape.ToArray()))
            throw new InvalidArgumentException($"Shape in shape_and_slice spec {Shape.Format(FullShape.ToArray())} does not match the shape {Shape.Format(full.Dims)} of the tensor it slices");
        if (IsFull) return full;
        var dims = Length.ToArray();
        var o = Tensor.Zeros(full.DType, dims);
        switch (full.DType)
        {
            case DType.Float32: Copy<float>(full, o); break;
            case DType.Float64: Copy<double>(full, o); break;
            case DType.Int32: Copy<int>(full, o); break;
            case DType.Int64: Copy<long>(full, o); break;
            case DType.Int16: Copy<short>(full, o); break;
            case DType.UInt16: Copy<ushort>(full, o); break;
            case DType.Int8: Copy<sbyte>(full, o); break;
            case DType.UInt8: Copy<byte>(full, o); break;
            case DType.Bool: Copy<bool>(full, o); break;
            case DType.String: Copy<byte[]>(full, o); break;
            default: throw new UnimplementedException($"Slicing tensors of dtype {full.DType.Name()} is not supported");
        }
        return o;
    }

    private void Copy<T>(Tensor full, Tensor o)
    {
        int rank = FullShape.Count;
        Span<int> srcStrides = stackalloc int[rank];
        Span<int> dstStrides = stackalloc int[rank];
        ArrayCopy.RowMajorStrides(full.Dims, srcStrides);
        ArrayCopy.RowMajorStrides(o.Dims, dstStrides);
        int offset = 0;
        for (int i = 0; i < rank; i++) offset += Start[i] * srcStrides[i];
        ArrayCopy.Strided<T>(full.Span<T>(), offset, srcStrides, o.Span<T>(), 0, dstStrides, o.Dims);
    }

    /// <summary>The spec in TF's text form.</summary>
    public override string ToString() =>
        string.Join(' ', FullShape) + " " + string.Join(':', FullShape.Select((_, i) => $"{Start[i]},{Length[i]}"));
}
