namespace TensorGraph;

public sealed partial class Graph
{
    /// <summary>
    /// TF 1.15's <c>tf.nn.embedding_lookup(params, ids, max_norm=...)</c> for one (unpartitioned)
    /// table: the rows <paramref name="ids"/> of <paramref name="params"/> as a GatherV2 named
    /// <c>embedding_lookup</c>, clipped to L2 norm <paramref name="maxNorm"/> over the embedding
    /// axes when given, then an Identity (<c>embedding_lookup/Identity</c>). Its gradient with
    /// respect to the table is <see cref="IndexedSlices"/> (see <see cref="GradientValues"/>).
    /// </summary>
    public Output EmbeddingLookup(Output @params, Output ids, double? maxNorm = null, string? name = null)
    {
        if (@params.Op is null) throw new InvalidArgumentException("Need at least one param");
        if (!ids.DType.IsInteger()) throw new InvalidArgumentException($"embedding_lookup ids must be int32 or int64, got {ids.DType.Name()}");
        using var scope = NameScope(name ?? "embedding_lookup");
        var exact = CurrentNameScope + "/";
        var result = Gather(@params, ids, Constant(0, name: "axis"), 0, exact);
        if (maxNorm is { } m) result = ClipEmbeddings(result, ids, m);
        return Identity(result);
    }

    /// <summary><see cref="EmbeddingLookup(Output, Output, double?, string?)"/> reading a variable (its <c>read</c> snapshot, as TF converts a variable).</summary>
    public Output EmbeddingLookup(Variable @params, Output ids, double? maxNorm = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(@params);
        return EmbeddingLookup(@params.Value, ids, maxNorm, name);
    }

    /// <summary>
    /// TF 1.15's <c>tf.nn.embedding_lookup</c> over a table split into <paramref name="params"/>
    /// (a list of one is the single-table lookup). <c>"mod"</c>: id i lives in part i mod n at row
    /// i div n; <c>"div"</c>: ids are split in contiguous blocks, the first (total mod n) parts one
    /// id larger. Ids are flattened, partitioned (DynamicPartition), looked up per part, stitched
    /// back (DynamicStitch named <c>embedding_lookup</c>; TF uses ParallelDynamicStitch, which gives
    /// the same rows) and reshaped to ids.shape + the row shape; then max_norm clipping.
    /// </summary>
    public Output EmbeddingLookup(Output[] @params, Output ids, string partitionStrategy = "mod", double? maxNorm = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(@params);
        if (@params.Length == 0) throw new InvalidArgumentException("Need at least one param");
        if (@params.Length == 1) return EmbeddingLookup(@params[0], ids, maxNorm, name);
        if (partitionStrategy is not ("mod" or "div")) throw new InvalidArgumentException($"Unrecognized partition strategy: {partitionStrategy}");
        if (!ids.DType.IsInteger()) throw new InvalidArgumentException($"embedding_lookup ids must be int32 or int64, got {ids.DType.Name()}");
        using var scope = NameScope(name ?? "embedding_lookup");
        var exact = CurrentNameScope + "/";
        int np = @params.Length;
        var dt = ids.DType;
        Output C(long v) => Constant(ScalarOf(dt, v));
        var flatIds = Reshape(ids, Constant(new[] { -1 }));
        var originalIndices = Range(Constant(0), Size(flatIds), Constant(1));
        Output pAssignments, newIds;
        if (partitionStrategy == "mod")
        {
            pAssignments = FloorMod(flatIds, C(np));
            newIds = FloorDiv(flatIds, C(np));
        }
        else
        {
            Output numTotalIds;
            if (@params.All(p => p.Shape.IsRankKnown && p.Shape.Rank > 0 && p.Shape[0] >= 0))
                numTotalIds = C(@params.Sum(p => (long)p.Shape[0]));
            else
                numTotalIds = AddN([.. @params.Select(p => Cast(ShapeOf(p).Slice(0), dt))]);
            var idsPerPartition = FloorDiv(numTotalIds, C(np));
            var extras = FloorMod(numTotalIds, C(np));
            pAssignments = Maximum(FloorDiv(flatIds, AddV2(idsPerPartition, C(1))), FloorDiv(Subtract(flatIds, extras), idsPerPartition));
            newIds = Select(Less(pAssignments, extras), FloorMod(flatIds, AddV2(idsPerPartition, C(1))), FloorMod(Subtract(flatIds, extras), idsPerPartition));
        }
        pAssignments = Cast(pAssignments, DType.Int32);
        var gatherIds = DynamicPartition(newIds, pAssignments, np);
        var pindices = DynamicPartition(originalIndices, pAssignments, np);
        var partitioned = new Output[np];
        for (int p = 0; p < np; p++) partitioned[p] = Gather(@params[p], gatherIds[p]);
        var ret = DynamicStitch(pindices, partitioned, exact);
        var elementShape = ShapeOf(@params[0]).Slice(SliceItem.Range(1, null));
        ret = Reshape(ret, Concat([ShapeOf(ids), elementShape], 0));
        if (maxNorm is { } m) ret = ClipEmbeddings(ret, ids, m);
        return ret;
    }

    /// <summary>TF's embedding_ops._clip: clip_by_norm over axes [rank(ids), rank(params)).</summary>
    private Output ClipEmbeddings(Output @params, Output ids, double maxNorm)
    {
        if (!ids.Shape.IsRankKnown || !@params.Shape.IsRankKnown)
            throw new UnimplementedException("embedding_lookup max_norm needs ids and params of known rank");
        var axes = Enumerable.Range(ids.Shape.Rank, @params.Shape.Rank - ids.Shape.Rank).ToArray();
        return ClipByNorm(@params, Constant(ScalarOf(@params.DType, maxNorm)), axes);
    }

    /// <summary>
    /// TF 1.15's <c>tf.clip_by_norm(t, clip_norm, axes)</c>: t·clip_norm / max(‖t‖₂, clip_norm),
    /// the norm over <paramref name="axes"/> (all when null), with TF's safe square root at zero.
    /// </summary>
    public Output ClipByNorm(Output t, Output clipNorm, int[]? axes = null, string? name = null)
    {
        using var scope = NameScope(name ?? "clip_by_norm");
        var exact = CurrentNameScope + "/";
        var l2sum = ReduceSum(t * t, axes, keepDims: true);
        var pred = Greater(l2sum, Constant(ScalarOf(l2sum.DType, 0)));
        var l2sumSafe = Select(pred, l2sum, OnesLike(l2sum));
        var l2norm = Select(pred, Sqrt(l2sumSafe), l2sum);
        var intermediate = t * clipNorm;
        return Identity(RealDiv(intermediate, Maximum(l2norm, clipNorm)), exact);
    }
}
