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

    /// <summary>
    /// TF 1.15's <c>tf.nn.safe_embedding_lookup_sparse(embedding_weights, sparse_ids,
    /// sparse_weights, combiner, default_id, name, partition_strategy="div", max_norm)</c>:
    /// <see cref="EmbeddingLookupSparse(Output[], SparseTensor, SparseTensor?, string, string?, string?, double?)"/>
    /// made safe for invalid ids and empty rows. Ids of any rank [d0, …, dn] are reshaped to
    /// [d0·…·dn−1, dn] (SparseReshape); ids &lt; 0 are pruned, and weights ≤ 0 unless the combiner
    /// is <c>"sum"</c> (sparse_retain); empty rows get <paramref name="defaultId"/>'s embedding,
    /// or zeros when it is null (SparseFillEmptyRows, then a Select); the result is
    /// [d0, …, dn−1, embedding dims…]. Ops under the name scope <c>embedding_lookup</c>, as TF.
    /// </summary>
    public Output SafeEmbeddingLookupSparse(Output[] embeddingWeights, SparseTensor sparseIds, SparseTensor? sparseWeights = null,
        string combiner = "mean", long? defaultId = null, string? name = null, string partitionStrategy = "div", double? maxNorm = null)
    {
        ArgumentNullException.ThrowIfNull(embeddingWeights);
        ArgumentNullException.ThrowIfNull(sparseIds);
        if (embeddingWeights.Length < 1) throw new InvalidArgumentException("Missing embedding_weights [].");
        using var scope = NameScope(name ?? "embedding_lookup");
        var exact = CurrentNameScope + "/";
        var originalShape = sparseIds.DenseShape;
        int originalRankDim = originalShape.Shape.IsRankKnown ? originalShape.Shape[0] : -1;
        Output originalRank = originalRankDim >= 0 ? Constant(originalRankDim) : Size(originalShape);
        Output leadingSize = originalRankDim >= 0 ? Constant(new[] { originalRankDim - 1 }) : Stack([originalRank - Constant(1)]);
        Output lastIndex = originalRankDim >= 0 ? Constant(originalRankDim - 1) : originalRank - Constant(1);
        var rows = ReduceProd(Slice(originalShape, Constant(new[] { 0 }), leadingSize));
        sparseIds = SparseReshapeTensor(sparseIds, Stack([rows, Gather(originalShape, lastIndex)]));
        if (sparseWeights is { } sw0) sparseWeights = new SparseTensor(sparseIds.Indices, sw0.Values, sparseIds.DenseShape);

        // _prune_invalid_ids, then _prune_invalid_weights unless the combiner is "sum".
        var isIdValid = GreaterEqual(sparseIds.Values, Constant(ScalarOf(sparseIds.DType, 0)));
        if (sparseWeights is { } sw1) isIdValid = LogicalAnd(isIdValid, Fill(ShapeOf(sw1.Values), Constant(true)));
        sparseIds = SparseRetain(sparseIds, isIdValid);
        if (sparseWeights is { } sw2) sparseWeights = SparseRetain(sw2, isIdValid);
        if (combiner != "sum" && sparseWeights is { } sw3)
        {
            var isWeightValid = Greater(sw3.Values, Constant(ScalarOf(sw3.DType, 0)));
            sparseIds = SparseRetain(sparseIds, isWeightValid);
            sparseWeights = SparseRetain(sw3, isWeightValid);
        }

        Output isRowEmpty;
        (sparseIds, isRowEmpty) = SparseFillEmptyRowsTensor(sparseIds, Constant(ScalarOf(sparseIds.DType, defaultId ?? 0)));
        if (sparseWeights is { } sw4) (sparseWeights, _) = SparseFillEmptyRowsTensor(sw4, Constant(ScalarOf(sw4.DType, 1.0)));
        var result = EmbeddingLookupSparse(embeddingWeights, sparseIds, sparseWeights, partitionStrategy, defaultId is null ? null : exact, combiner, maxNorm);
        if (defaultId is null)
        {
            var tiled = Tile(Reshape(isRowEmpty, [-1, 1]), Stack([Constant(1), ShapeOf(result).Slice(1)]));
            result = Select(tiled, ZerosLike(result), result, exact);
        }
        var finalResult = Reshape(result, Concat(
            [Slice(Cast(originalShape, DType.Int32), Constant(new[] { 0 }), leadingSize), Slice(ShapeOf(result), [1], [-1])], 0));
        if (originalRankDim >= 0 && result.Shape.IsRankKnown)
            SetShape(finalResult, new Shape([.. Enumerable.Repeat(-1, originalRankDim - 1), .. result.Shape.ToArray()[1..]]));
        return finalResult;
    }

    /// <summary><see cref="SafeEmbeddingLookupSparse(Output[], SparseTensor, SparseTensor?, string, long?, string?, string, double?)"/> for one table.</summary>
    public Output SafeEmbeddingLookupSparse(Output embeddingWeights, SparseTensor sparseIds, SparseTensor? sparseWeights = null,
        string combiner = "mean", long? defaultId = null, string? name = null, double? maxNorm = null) =>
        SafeEmbeddingLookupSparse([embeddingWeights], sparseIds, sparseWeights, combiner, defaultId, name, "div", maxNorm);

    /// <summary>TF's <c>sparse_ops.sparse_reshape</c>: SparseReshape under <c>SparseReshape</c>, the values through an Identity.</summary>
    private SparseTensor SparseReshapeTensor(SparseTensor sp, Output shape)
    {
        using var scope = NameScope("SparseReshape");
        var exact = CurrentNameScope + "/";
        if (shape.DType != DType.Int64) shape = Cast(shape, DType.Int64);
        var (indices, newShape) = SparseReshape(sp.Indices, sp.DenseShape, shape, exact);
        return new SparseTensor(indices, Identity(sp.Values), newShape);
    }

    /// <summary>TF's <c>sparse_ops.sparse_retain</c>: the entries where <paramref name="toRetain"/> is true.</summary>
    private SparseTensor SparseRetain(SparseTensor sp, Output toRetain)
    {
        if (toRetain.Shape.IsRankKnown && toRetain.Shape.Rank != 1) throw new InvalidArgumentException($"sparse_retain needs a vector, got shape {toRetain.Shape}");
        var whereTrue = Reshape(Where(toRetain), [-1]);
        return new SparseTensor(Gather(sp.Indices, whereTrue), Gather(sp.Values, whereTrue), Identity(sp.DenseShape));
    }

    /// <summary>TF's <c>sparse_ops.sparse_fill_empty_rows</c>: the filled tensor (same dense shape) and the empty-row indicator.</summary>
    private (SparseTensor Filled, Output IsRowEmpty) SparseFillEmptyRowsTensor(SparseTensor sp, Output defaultValue)
    {
        using var scope = NameScope("SparseFillEmptyRows");
        var (indices, values, empty, _) = SparseFillEmptyRows(sp.Indices, sp.Values, sp.DenseShape, defaultValue);
        return (new SparseTensor(indices, values, sp.DenseShape), empty);
    }
}
