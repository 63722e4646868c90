namespace TensorGraph;

public sealed partial class Tensor
{
    /// <summary>
    /// The same elements with dimensions <paramref name="dims"/> (one of them may be -1, inferred
    /// as TF's and numpy's reshape infer it), as a <b>view</b>: the result shares this tensor's
    /// storage, so writes through <see cref="AsSpan{T}"/> show in both (numpy's <c>reshape</c>).
    /// </summary>
    /// <exception cref="InvalidArgumentException">The element counts differ, more than one -1, or a dimension below -1.</exception>
    public Tensor Reshape(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        CheckRank(dims.Length);
        var d = (int[])dims.Clone();
        int unknown = -1;
        long known = 1;
        for (int i = 0; i < d.Length; i++)
        {
            if (d[i] == -1)
            {
                if (unknown >= 0) throw new InvalidArgumentException($"Only one input size may be -1, not both {unknown} and {i}");
                unknown = i;
            }
            else if (d[i] < 0) throw new InvalidArgumentException($"Size {i} must be non-negative, not {d[i]}");
            else known *= d[i];
        }
        if (unknown >= 0)
        {
            if (known == 0 || _size % known != 0)
                throw new InvalidArgumentException($"Input to reshape is a tensor with {_size} values, but the requested shape {Shape.Format(dims)} cannot hold them");
            d[unknown] = (int)(_size / known);
        }
        else if (known != _size)
            throw new InvalidArgumentException($"Input to reshape is a tensor with {_size} values, but the requested shape has {known}");
        return new Tensor(DType, _data, d, _size);
    }

    /// <summary>
    /// Rows <paramref name="rows"/> of the first dimension, copied into a new tensor (<c>t[a..b]</c>,
    /// numpy's <c>t[a:b]</c>; a copy, not a view). Indices from the end (<c>^1</c>) count as in C#.
    /// </summary>
    /// <exception cref="InvalidArgumentException">A scalar, or a range outside the first dimension.</exception>
    public Tensor this[Range rows]
    {
        get
        {
            if (_rank == 0) throw new InvalidArgumentException("Cannot slice the rows of a scalar tensor");
            int n = _dims[0];
            int start = rows.Start.GetOffset(n), end = rows.End.GetOffset(n);
            if (start < 0 || end > n || start > end)
                throw new InvalidArgumentException($"Row range {rows} is outside a first dimension of {n}");
            int row = n == 0 ? 0 : _size / n;
            var dims = Dims.ToArray();
            dims[0] = end - start;
            var result = Zeros(DType, dims);
            Array.Copy(_data, (long)start * row, result._data, 0, (long)(end - start) * row);
            if (DType == DType.String)
            {
                var s = (byte[][])result._data;
                for (int i = 0; i < s.Length; i++) s[i] = (byte[])s[i].Clone();
            }
            return result;
        }
    }

    /// <summary>
    /// Stacks tensors of one dtype and shape along a new first dimension (numpy's <c>np.stack</c>,
    /// TF's <c>Pack</c> on the host): n tensors of shape s make one of shape [n, s…]. Values are copied.
    /// </summary>
    /// <exception cref="InvalidArgumentException">No tensors, or dtypes or shapes that differ.</exception>
    public static Tensor Stack(params Tensor[] tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0) throw new InvalidArgumentException("Stack needs at least one tensor");
        var first = tensors[0] ?? throw new ArgumentNullException(nameof(tensors));
        CheckRank(first._rank + 1);
        for (int i = 1; i < tensors.Length; i++)
        {
            var t = tensors[i] ?? throw new ArgumentNullException(nameof(tensors));
            if (t.DType != first.DType)
                throw new InvalidArgumentException($"Stack: tensor {i} has dtype {t.DType.Name()}, tensor 0 has {first.DType.Name()}");
            if (!t.Dims.SequenceEqual(first.Dims))
                throw new InvalidArgumentException($"Stack: tensor {i} has shape {Shape.Format(t.Dims)}, tensor 0 has {Shape.Format(first.Dims)}");
        }
        var dims = new int[first._rank + 1];
        dims[0] = tensors.Length;
        first.Dims.CopyTo(dims.AsSpan(1));
        var result = Zeros(first.DType, dims);
        for (int i = 0; i < tensors.Length; i++)
        {
            var src = first.DType == DType.String ? tensors[i].Clone() : tensors[i];
            Array.Copy(src._data, 0, result._data, (long)i * first._size, first._size);
        }
        return result;
    }
}
