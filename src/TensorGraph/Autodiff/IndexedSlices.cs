namespace TensorGraph;

/// <summary>
/// TF's <c>tf.IndexedSlices</c>: a sparse gradient of a tensor of shape <see cref="DenseShape"/>,
/// rows <see cref="Indices"/> of it holding <see cref="Values"/> (indices may repeat; repeated rows sum).
/// What the gradient of a gather along axis 0 is.
/// </summary>
public sealed record IndexedSlices(Output Values, Output Indices, Output DenseShape)
{
    /// <summary>
    /// TF's IndexedSlices-to-dense conversion (<c>ops.convert_to_tensor</c>):
    /// UnsortedSegmentSum(values, indices, dense_shape[0]).
    /// </summary>
    public Output ToDense(string? name = null)
    {
        var g = Values.Graph;
        return g.UnsortedSegmentSum(Values, Indices, DenseShape.Slice(0), name);
    }
}

/// <summary>A gradient value: a dense tensor or <see cref="IndexedSlices"/> (exactly one is set).</summary>
public sealed record Gradient
{
    /// <summary>A dense gradient.</summary>
    public Gradient(Output dense) => Dense = dense;

    /// <summary>A sparse gradient.</summary>
    public Gradient(IndexedSlices sparse) => Sparse = sparse ?? throw new ArgumentNullException(nameof(sparse));

    /// <summary>The dense gradient, or null when sparse.</summary>
    public Output? Dense { get; }

    /// <summary>The sparse gradient, or null when dense.</summary>
    public IndexedSlices? Sparse { get; }

    /// <summary>True when the gradient is <see cref="IndexedSlices"/>.</summary>
    public bool IsSparse => Sparse is not null;

    /// <summary>The gradient as a dense tensor (sparse ones are converted as TF's convert_to_tensor does).</summary>
    public Output ToDense() => Dense ?? Sparse!.ToDense();
}
