namespace TensorGraph.Keras;

/// <summary>Row slicing, gathering and concatenation of host tensors for the training loops.</summary>
internal static class Data
{
    public static int Rows(Tensor t, string what)
    {
        if (t.Dims.Length == 0) throw new ArgumentException($"{what} must have a batch dimension, got a scalar");
        return t.Dims[0];
    }

    /// <summary>Rows <c>idx[start..start+count]</c> of <paramref name="t"/>.</summary>
    public static Tensor Take(Tensor t, int[] idx, int start, int count) => t.DType switch
    {
        DType.Float32 => Take<float>(t, idx, start, count),
        DType.Float64 => Take<double>(t, idx, start, count),
        DType.Int32 => Take<int>(t, idx, start, count),
        DType.Int64 => Take<long>(t, idx, start, count),
        DType.UInt8 => Take<byte>(t, idx, start, count),
        DType.Bool => Take<bool>(t, idx, start, count),
        _ => throw new ArgumentException($"Keras inputs of type {t.DType.Name()} are not supported"),
    };

    private static Tensor Take<T>(Tensor t, int[] idx, int start, int count) where T : unmanaged
    {
        var src = t.AsSpan<T>();
        int rows = t.Dims[0];
        int row = rows == 0 ? 0 : t.Size / rows;
        var dst = new T[count * row];
        for (int i = 0; i < count; i++) src.Slice(idx[start + i] * row, row).CopyTo(dst.AsSpan(i * row, row));
        int[] dims = [count, .. t.Dims[1..]];
        return Tensor.Create(dst, dims);
    }

    /// <summary>The identity index 0..n−1.</summary>
    public static int[] Range(int n) => Enumerable.Range(0, n).ToArray();

    /// <summary>Rows [from, to) as a new tensor.</summary>
    public static Tensor Slice(Tensor t, int from, int to) => Take(t, Range(Rows(t, "x")), from, to - from);

    /// <summary>Joins tensors along the first axis.</summary>
    public static Tensor ConcatRows(IReadOnlyList<Tensor> parts)
    {
        if (parts.Count == 1) return parts[0];
        var first = parts[0];
        return first.DType switch
        {
            DType.Float32 => Concat<float>(parts),
            DType.Float64 => Concat<double>(parts),
            DType.Int32 => Concat<int>(parts),
            DType.Int64 => Concat<long>(parts),
            DType.Bool => Concat<bool>(parts),
            DType.UInt8 => Concat<byte>(parts),
            _ => throw new ArgumentException($"Keras outputs of type {first.DType.Name()} are not supported"),
        };
    }

    private static Tensor Concat<T>(IReadOnlyList<Tensor> parts) where T : unmanaged
    {
        int rows = parts.Sum(p => p.Dims[0]);
        var dst = new T[parts.Sum(p => p.Size)];
        int off = 0;
        foreach (var p in parts)
        {
            p.AsSpan<T>().CopyTo(dst.AsSpan(off));
            off += p.Size;
        }
        int[] dims = [rows, .. parts[0].Dims[1..]];
        return Tensor.Create(dst, dims);
    }

    /// <summary>The values as float32 (targets and float inputs), keeping the shape.</summary>
    public static Tensor ToFloat32(Tensor t)
    {
        if (t.DType == DType.Float32) return t;
        var dims = t.Dims.ToArray();
        float[] data = t.DType switch
        {
            DType.Float64 => [.. t.ToArray<double>().Select(v => (float)v)],
            DType.Int32 => [.. t.ToArray<int>().Select(v => (float)v)],
            DType.Int64 => [.. t.ToArray<long>().Select(v => (float)v)],
            DType.UInt8 => [.. t.ToArray<byte>().Select(v => (float)v)],
            DType.Bool => [.. t.ToArray<bool>().Select(v => v ? 1f : 0f)],
            _ => throw new ArgumentException($"Cannot use a {t.DType.Name()} tensor as a Keras target"),
        };
        return Tensor.Create(data, dims);
    }

    /// <summary>Keras's <c>standardize_single_array</c>: a 1-D target becomes (N, 1).</summary>
    public static Tensor ExpandTarget(Tensor t, int outputRank)
    {
        if (t.Dims.Length == 1 && outputRank >= 2) return Tensor.Create(t.ToArray<float>(), t.Dims[0], 1);
        return t;
    }
}
