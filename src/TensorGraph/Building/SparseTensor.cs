namespace TensorGraph;

/// <summary>
/// TF 1.x's <c>tf.SparseTensor(indices, values, dense_shape)</c>: a sparse tensor as three dense
/// tensors of one graph. <see cref="Indices"/> is int64 [nnz, rank] (row-major order, as TF
/// expects), <see cref="Values"/> [nnz], <see cref="DenseShape"/> int64 [rank]. Building one
/// adds no node; the ops that take sparse arguments (<see cref="Graph.EmbeddingLookupSparse(Output[], SparseTensor, SparseTensor?, string, string?, string?, double?)"/>)
/// read the three parts.
/// </summary>
public sealed class SparseTensor
{
    /// <summary>TF's constructor and its shape checks: indices rank 2, values and dense_shape rank 1, with matching sizes.</summary>
    public SparseTensor(Output indices, Output values, Output denseShape)
    {
        if (indices.Op is null || values.Op is null || denseShape.Op is null)
            throw new InvalidArgumentException("A SparseTensor needs indices, values and dense_shape tensors (one is a default, unset Output)");
        if (!ReferenceEquals(indices.Graph, values.Graph) || !ReferenceEquals(indices.Graph, denseShape.Graph))
            throw new InvalidArgumentException("The indices, values and dense_shape of a SparseTensor must be from the same graph");
        if (indices.DType != DType.Int64) throw new InvalidArgumentException($"SparseTensor indices must be int64, got '{indices.Name}' of {indices.DType.Name()}");
        if (denseShape.DType != DType.Int64)
            throw new InvalidArgumentException($"SparseTensor dense_shape must be int64, got '{denseShape.Name}' of {denseShape.DType.Name()}");
        var i = indices.Shape;
        var v = values.Shape;
        var d = denseShape.Shape;
        if (i.IsRankKnown && i.Rank != 2) throw new InvalidArgumentException($"Shape {i} of SparseTensor indices '{indices.Name}' must be rank 2");
        if (v.IsRankKnown && v.Rank != 1) throw new InvalidArgumentException($"Shape {v} of SparseTensor values '{values.Name}' must be rank 1");
        if (d.IsRankKnown && d.Rank != 1) throw new InvalidArgumentException($"Shape {d} of SparseTensor dense_shape '{denseShape.Name}' must be rank 1");
        if (i.IsRankKnown && v.IsRankKnown && i[0] >= 0 && v[0] >= 0 && i[0] != v[0])
            throw new InvalidArgumentException($"SparseTensor indices {i} and values {v} must have the same number of entries");
        if (i.IsRankKnown && d.IsRankKnown && i[1] >= 0 && d[0] >= 0 && i[1] != d[0])
            throw new InvalidArgumentException($"SparseTensor indices {i} and dense_shape {d} must agree on the rank");
        Indices = indices;
        Values = values;
        DenseShape = denseShape;
    }

    /// <summary>The int64 [nnz, rank] positions of the values.</summary>
    public Output Indices { get; }

    /// <summary>The [nnz] values.</summary>
    public Output Values { get; }

    /// <summary>The int64 [rank] shape of the dense tensor.</summary>
    public Output DenseShape { get; }

    /// <summary>The dtype of the values.</summary>
    public DType DType => Values.DType;

    /// <summary>The graph of the three tensors.</summary>
    public Graph Graph => Values.Graph;
}
