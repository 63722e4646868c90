namespace TensorGraph;

public sealed partial class Graph
{
    /// <summary>
    /// TF 1.15's <c>tf.nn.embedding_lookup_sparse(params, sp_ids, sp_weights, partition_strategy,
    /// name, combiner, max_norm)</c>: for each row r of the [d0, d1] <paramref name="spIds"/>, the
    /// embeddings of its ids combined with their weights (all 1 when <paramref name="spWeights"/>
    /// is null): <c>"sum"</c> Σ w·e, <c>"mean"</c> (the default) Σ w·e / Σ w, <c>"sqrtn"</c>
    /// Σ w·e / √Σ w². Built as TF builds it under <c>embedding_lookup_sparse</c>: segment ids
    /// <c>Cast(indices[:, 0], int32)</c>, <c>Unique</c> of the ids, one
    /// <see cref="EmbeddingLookup(Output[], Output, string, double?, string?)"/> of the unique ids;
    /// without weights a SparseSegmentSum/Mean/SqrtN over the unique-id positions, with weights a
    /// Gather back, the broadcast multiply and SegmentSum (divided by the SegmentSum of the
    /// weights or of their squares). Like TF it assumes every row has at least one id and the
    /// indices are in row-major order; the result is [max row with an id + 1, embedding dims…].
    /// </summary>
    public Output EmbeddingLookupSparse(Output[] @params, SparseTensor spIds, SparseTensor? spWeights, string partitionStrategy = "mod",
        string? name = null, string? combiner = null, double? maxNorm = null)
    {
        ArgumentNullException.ThrowIfNull(@params);
        ArgumentNullException.ThrowIfNull(spIds);
        combiner ??= "mean";
        if (combiner is not ("mean" or "sqrtn" or "sum")) throw new InvalidArgumentException("combiner must be one of 'mean', 'sqrtn' or 'sum'");
        if (@params.Length == 0) throw new InvalidArgumentException("Need at least one param");
        if (spWeights is { } w0)
        {
            if (!spIds.Values.Shape.IsCompatibleWith(w0.Values.Shape))
                throw new InvalidArgumentException($"Shapes {spIds.Values.Shape} and {w0.Values.Shape} are incompatible (sp_ids and sp_weights values)");
            if (!spIds.Indices.Shape.IsCompatibleWith(w0.Indices.Shape))
                throw new InvalidArgumentException($"Shapes {spIds.Indices.Shape} and {w0.Indices.Shape} are incompatible (sp_ids and sp_weights indices)");
            if (!spIds.DenseShape.Shape.IsCompatibleWith(w0.DenseShape.Shape))
                throw new InvalidArgumentException($"Shapes {spIds.DenseShape.Shape} and {w0.DenseShape.Shape} are incompatible (sp_ids and sp_weights dense_shape)");
        }
        using var scope = NameScope(name ?? "embedding_lookup_sparse");
        var exact = CurrentNameScope + "/";
        var segmentIds = spIds.Indices.Slice(SliceItem.All, 0);
        if (segmentIds.DType != DType.Int32) segmentIds = Cast(segmentIds, DType.Int32);
        var (ids, idx) = Unique(spIds.Values);
        var embeddings = EmbeddingLookup(@params, ids, partitionStrategy, maxNorm);
        if (!embeddings.DType.IsFloating())
            throw new InvalidArgumentException($"embedding_lookup_sparse needs floating-point params, got {embeddings.DType.Name()}");
        if (spWeights is not { } sw)
        {
            return combiner switch
            {
                "sum" => SparseSegmentSum(embeddings, idx, segmentIds, exact),
                "mean" => SparseSegmentMean(embeddings, idx, segmentIds, exact),
                _ => SparseSegmentSqrtN(embeddings, idx, segmentIds, exact),
            };
        }
        var weights = sw.Values;
        if (weights.DType != embeddings.DType) weights = Cast(weights, embeddings.DType);
        embeddings = Gather(embeddings, idx);
        // Reshape the weights to [nnz, 1, …] so they broadcast over the embedding dimensions.
        var ones = Fill(ExpandDims(Subtract(Rank(embeddings), Constant(1)), 0), Constant(1));
        var bcastWeightsShape = Concat([ShapeOf(weights), ones], 0);
        var origWeightsShape = weights.Shape;
        weights = Reshape(weights, bcastWeightsShape);
        if (embeddings.Shape.IsRankKnown && origWeightsShape.IsRankKnown)
            SetShape(weights, new Shape([.. origWeightsShape.ToArray(), .. Enumerable.Repeat(1, embeddings.Shape.Rank - 1)]));
        embeddings *= weights;
        switch (combiner)
        {
            case "sum":
                return SegmentSum(embeddings, segmentIds, exact);
            case "mean":
            {
                embeddings = SegmentSum(embeddings, segmentIds);
                var weightSum = SegmentSum(weights, segmentIds);
                return RealDiv(embeddings, weightSum, exact);
            }
            default:
            {
                embeddings = SegmentSum(embeddings, segmentIds);
                var weightsSquared = Pow(weights, Constant(ScalarOf(weights.DType, 2)));
                var weightSum = SegmentSum(weightsSquared, segmentIds);
                var weightSumSqrt = Sqrt(weightSum);
                return RealDiv(embeddings, weightSumSqrt, exact);
            }
        }
    }

    /// <summary><see cref="EmbeddingLookupSparse(Output[], SparseTensor, SparseTensor?, string, string?, string?, double?)"/> for one table.</summary>
    public Output EmbeddingLookupSparse(Output @params, SparseTensor spIds, SparseTensor? spWeights, string? name = null, string? combiner = null,
        double? maxNorm = null) =>
        EmbeddingLookupSparse([@params], spIds, spWeights, "mod", name, combiner, maxNorm);

    /// <summary><see cref="EmbeddingLookupSparse(Output[], SparseTensor, SparseTensor?, string, string?, string?, double?)"/> reading a variable.</summary>
    public Output EmbeddingLookupSparse(Variable @params, SparseTensor spIds, SparseTensor? spWeights, string? name = null, string? combiner = null,
        double? maxNorm = null)
    {
        ArgumentNullException.ThrowIfNull(@params);
        return EmbeddingLookupSparse([@params.Value], spIds, spWeights, "mod", name, combiner, maxNorm);
    }
}
