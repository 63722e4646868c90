namespace TensorGraph.Tests.Rnn;

/// <summary>
/// tf.nn.embedding_lookup_sparse: every combiner, with and without weights, against the combined
/// rows computed here; a partitioned table gives the same rows; finite-difference gradients
/// with respect to the table and the weights; TF's node structure and argument errors.
/// </summary>
public class EmbeddingLookupSparseTests
{
    // The example of TF's docstring, plus one more id in row 2: [row, column] → id, weight.
    private static readonly long[,] Indices = { { 0, 0 }, { 0, 1 }, { 1, 0 }, { 2, 1 }, { 2, 3 } };
    private static readonly long[] Ids = [1, 3, 0, 5, 1];
    private static readonly double[] Weights = [2.0, 0.5, 1.0, 1.5, 3.0];

    private static double[,] Table()
    {
        var t = new double[6, 2];
        for (int i = 0; i < 6; i++)
        {
            t[i, 0] = i + 0.25 * i * i;
            t[i, 1] = 1 - 0.5 * i;
        }
        return t;
    }

    private static double[] Expected(string combiner, bool weighted)
    {
        var table = Table();
        var result = new double[3 * 2];
        var wsum = new double[3];
        var w2sum = new double[3];
        for (int k = 0; k < Ids.Length; k++)
        {
            int row = (int)Indices[k, 0];
            double w = weighted ? Weights[k] : 1;
            wsum[row] += w;
            w2sum[row] += w * w;
            for (int j = 0; j < 2; j++) result[row * 2 + j] += w * table[Ids[k], j];
        }
        for (int row = 0; row < 3; row++)
        {
            double div = combiner switch { "sum" => 1, "mean" => wsum[row], _ => Math.Sqrt(w2sum[row]) };
            for (int j = 0; j < 2; j++) result[row * 2 + j] /= div;
        }
        return result;
    }

    private static (Graph G, Output Table, Output Weights, Output Result) Build(string? combiner, bool weighted, bool partitioned = false)
    {
        var g = new Graph();
        var table = g.Placeholder(DType.Float64, [6, 2], name: "table");
        var w = g.Placeholder(DType.Float64, [5], name: "weights");
        var ids = new SparseTensor(g.Constant(Tensor.FromArray(Indices)), g.Constant(Ids), g.Constant(new long[] { 3, 4 }));
        var sw = weighted ? new SparseTensor(ids.Indices, w, ids.DenseShape) : null;
        Output result;
        if (partitioned)
        {
            // "mod" over two parts: ids 0, 2, 4 in part 0 and 1, 3, 5 in part 1.
            var even = g.Gather(table, g.Constant(new[] { 0, 2, 4 }));
            var odd = g.Gather(table, g.Constant(new[] { 1, 3, 5 }));
            result = g.EmbeddingLookupSparse([even, odd], ids, sw, "mod", combiner: combiner);
        }
        else result = g.EmbeddingLookupSparse(table, ids, sw, combiner: combiner);
        return (g, table, w, result);
    }

    [TestCase("sum", false)]
    [TestCase("mean", false)]
    [TestCase("sqrtn", false)]
    [TestCase("sum", true)]
    [TestCase("mean", true)]
    [TestCase("sqrtn", true)]
    public void CombinedRowsMatchTheHostComputationAndGradientsMatchFiniteDifferences(string combiner, bool weighted)
    {
        var (g, table, w, result) = Build(combiner, weighted);
        Assert.That(result.Op.Name, Is.EqualTo("embedding_lookup_sparse"));
        Assert.That(result.Op.Type, Is.EqualTo(weighted ? (combiner == "sum" ? "SegmentSum" : "RealDiv")
            : combiner switch { "sum" => "SparseSegmentSum", "mean" => "SparseSegmentMean", _ => "SparseSegmentSqrtN" }));
        Assert.That(result.Shape, Is.EqualTo(new Shape(-1, 2)));
        var feeds = new FeedDict { [table] = Tensor.FromArray(Table()), [w] = Weights };
        using var s = new Session(g);
        var got = s.Run(result, feeds);
        Assert.That(got.Dims.ToArray(), Is.EqualTo(new[] { 3, 2 }));
        Assert.That(got.ToArray<double>(), Is.EqualTo(Expected(combiner, weighted)).Within(1e-12));

        var loss = g.ReduceSum(result * result * g.Constant(new[] { 1.0, -2.0 }));
        var c = GradientChecker.Compute(s, table, Tensor.FromArray(Table()), loss, new FeedDict { [w] = Weights });
        Assert.That(c.MaxRelativeError, Is.LessThan(1e-5), $"table: {c.MaxError}");
        if (weighted)
        {
            var cw = GradientChecker.Compute(s, w, Weights, loss, new FeedDict { [table] = Tensor.FromArray(Table()) });
            Assert.That(cw.MaxRelativeError, Is.LessThan(1e-5), $"weights: {cw.MaxError}");
        }
    }

    [TestCase(false)]
    [TestCase(true)]
    public void APartitionedTableGivesTheSameRows(bool weighted)
    {
        var (g, table, w, result) = Build(null, weighted, partitioned: true);
        using var s = new Session(g);
        var got = s.Run(result, new FeedDict { [table] = Tensor.FromArray(Table()), [w] = Weights });
        Assert.That(got.ToArray<double>(), Is.EqualTo(Expected("mean", weighted)).Within(1e-12));
    }

    [Test]
    public void BuildsTfsNodes()
    {
        var (g, _, _, _) = Build("mean", weighted: true);
        var types = g.Operations.Where(o => o.Name.StartsWith("embedding_lookup_sparse/", StringComparison.Ordinal)).Select(o => o.Type).ToList();
        Assert.That(types, Does.Contain("Unique").And.Contain("GatherV2").And.Contain("SegmentSum").And.Contain("Mul"));
        Assert.That(g.GetTensor("embedding_lookup_sparse/Cast:0").DType, Is.EqualTo(DType.Int32));
        Assert.That(g.TryGetOperation("embedding_lookup_sparse/embedding_lookup")?.Type, Is.EqualTo("GatherV2"));
    }

    [Test]
    public void RefusesBadArguments()
    {
        var g = new Graph();
        var table = g.Placeholder(DType.Float32, [6, 2]);
        var ids = new SparseTensor(g.Constant(Tensor.FromArray(Indices)), g.Constant(Ids), g.Constant(new long[] { 3, 4 }));
        Assert.Throws<InvalidArgumentException>(() => g.EmbeddingLookupSparse(table, ids, null, combiner: "max"));
        var wrong = new SparseTensor(g.Constant(Tensor.FromArray(new long[,] { { 0, 0 } })), g.Constant(new[] { 1f }), g.Constant(new long[] { 3, 4 }));
        Assert.Throws<InvalidArgumentException>(() => g.EmbeddingLookupSparse(table, ids, wrong));
        Assert.Throws<InvalidArgumentException>(() => _ = new SparseTensor(g.Constant(new[,] { { 0, 0 } }), g.Constant(new[] { 1f }), g.Constant(new long[] { 3, 4 })));
        Assert.Throws<InvalidArgumentException>(() => _ = new SparseTensor(g.Constant(Tensor.FromArray(new long[,] { { 0, 0 } })), g.Constant(new[] { 1f, 2f }), g.Constant(new long[] { 3, 4 })));
    }
}

/// <summary>
/// tf.nn.safe_embedding_lookup_sparse: invalid ids and non-positive weights pruned, empty rows
/// zero or the default id's row, ids of rank 3, against a host computation; SparseReshape and
/// SparseFillEmptyRows values; finite-difference gradients through the filled rows.
/// </summary>
public class SafeEmbeddingLookupSparseTests
{
    private static double[,] Table()
    {
        var t = new double[5, 2];
        for (int i = 0; i < 5; i++)
        {
            t[i, 0] = 1 + i;
            t[i, 1] = 0.5 * i - 1;
        }
        return t;
    }

    // Ids of shape [2, 2, 3]: rows (0,0), (0,1), (1,0), (1,1) after the reshape to [4, 3].
    private static readonly long[,] Indices = { { 0, 0, 0 }, { 0, 0, 2 }, { 0, 1, 0 }, { 1, 1, 0 }, { 1, 1, 1 }, { 1, 1, 2 } };
    private static readonly long[] Ids = [1, 3, -1, 2, 4, 0];
    private static readonly double[] Weights = [2.0, 1.0, 5.0, 0.0, 1.5, -1.0];

    /// <summary>Row r of the [4, 2] result: entries kept when id ≥ 0 (and weight &gt; 0 unless "sum").</summary>
    private static double[] Expected(string combiner, bool weighted, long? defaultId)
    {
        var table = Table();
        var result = new double[4 * 2];
        var wsum = new double[4];
        var w2 = new double[4];
        var any = new bool[4];
        for (int k = 0; k < Ids.Length; k++)
        {
            int row = (int)(Indices[k, 0] * 2 + Indices[k, 1]);
            double w = weighted ? Weights[k] : 1;
            if (Ids[k] < 0 || (weighted && combiner != "sum" && w <= 0)) continue;
            any[row] = true;
            wsum[row] += w;
            w2[row] += w * w;
            for (int j = 0; j < 2; j++) result[row * 2 + j] += w * table[Ids[k], j];
        }
        for (int row = 0; row < 4; row++)
        {
            if (!any[row])
            {
                for (int j = 0; j < 2; j++) result[row * 2 + j] = defaultId is { } d ? table[d, j] : 0;
                continue;
            }
            double div = combiner switch { "sum" => 1, "mean" => wsum[row], _ => Math.Sqrt(w2[row]) };
            for (int j = 0; j < 2; j++) result[row * 2 + j] /= div;
        }
        return result;
    }

    [TestCase("mean", true, null)]
    [TestCase("sqrtn", true, null)]
    [TestCase("sum", true, null)]
    [TestCase("mean", false, null)]
    [TestCase("mean", true, 4L)]
    [TestCase("sum", false, 3L)]
    public void PrunesFillsAndReshapesLikeTheHostComputation(string combiner, bool weighted, long? defaultId)
    {
        var g = new Graph();
        var table = g.Placeholder(DType.Float64, [5, 2], name: "table");
        var w = g.Placeholder(DType.Float64, [6], name: "w");
        var ids = new SparseTensor(g.Constant(Tensor.FromArray(Indices)), g.Constant(Ids), g.Constant(new long[] { 2, 2, 3 }));
        var sw = weighted ? new SparseTensor(ids.Indices, w, ids.DenseShape) : null;
        var result = g.SafeEmbeddingLookupSparse(table, ids, sw, combiner, defaultId);
        Assert.That(result.Shape, Is.EqualTo(new Shape(-1, -1, 2)));
        using var s = new Session(g);
        var feeds = new FeedDict { [table] = Tensor.FromArray(Table()), [w] = Weights };
        var got = s.Run(result, feeds);
        Assert.That(got.Dims.ToArray(), Is.EqualTo(new[] { 2, 2, 2 }));
        Assert.That(got.ToArray<double>(), Is.EqualTo(Expected(combiner, weighted, defaultId)).Within(1e-12));
        var loss = g.ReduceSum(result * result);
        var c = GradientChecker.Compute(s, table, Tensor.FromArray(Table()), loss, new FeedDict { [w] = Weights });
        Assert.That(c.MaxRelativeError, Is.LessThan(1e-5), $"table: {c.MaxError}");
        if (weighted)
        {
            // Away from the pruning threshold (weights ≤ 0 switch entries off), the weights' gradient is smooth.
            double[] smooth = [2.0, 1.0, 5.0, 0.7, 1.5, -1.0];
            var cw = GradientChecker.Compute(s, w, smooth, loss, new FeedDict { [table] = Tensor.FromArray(Table()) });
            Assert.That(cw.MaxRelativeError, Is.LessThan(1e-5), $"weights: {cw.MaxError}");
        }
    }

    [Test]
    public void SparseReshapeAndFillEmptyRowsValues()
    {
        var g = new Graph();
        var (ind, shape) = g.SparseReshape(g.Constant(Tensor.FromArray(new long[,] { { 0, 1, 2 }, { 1, 0, 1 } })), g.Constant(new long[] { 2, 2, 3 }),
            g.Constant(new long[] { -1, 3 }));
        var (fi, fv, empty, rev) = g.SparseFillEmptyRows(g.Constant(Tensor.FromArray(new long[,] { { 1, 0 }, { 1, 2 }, { 3, 1 } })), g.Constant(new[] { 5f, 6f, 7f }),
            g.Constant(new long[] { 5, 3 }), g.Constant(-1f));
        using var s = new Session(g);
        var r = s.Run([ind, shape, fi, fv, empty, rev]);
        Assert.That(r[0].ToArray<long>(), Is.EqualTo(new long[] { 1, 2, 2, 1 }));
        Assert.That(r[1].ToArray<long>(), Is.EqualTo(new long[] { 4, 3 }));
        Assert.That(r[2].ToArray<long>(), Is.EqualTo(new long[] { 0, 0, 1, 0, 1, 2, 2, 0, 3, 1, 4, 0 }));
        Assert.That(r[3].ToArray<float>(), Is.EqualTo(new[] { -1f, 5, 6, -1, 7, -1 }));
        Assert.That(r[4].ToArray<bool>(), Is.EqualTo(new[] { true, false, true, false, true }));
        Assert.That(r[5].ToArray<long>(), Is.EqualTo(new long[] { 1, 2, 4 }));
        var bad = g.SparseReshape(g.Constant(Tensor.FromArray(new long[,] { { 0, 1 } })), g.Constant(new long[] { 2, 3 }), g.Constant(new long[] { 4, -1 }));
        Assert.Throws<InvalidArgumentException>(() => s.Run(bad.OutputIndices));
        var badRow = g.SparseFillEmptyRows(g.Constant(Tensor.FromArray(new long[,] { { 7, 0 } })), g.Constant(new[] { 1f }), g.Constant(new long[] { 5, 3 }), g.Constant(0f));
        Assert.Throws<InvalidArgumentException>(() => s.Run(badRow.OutputValues));
    }

    [Test]
    public void FillEmptyRowsGradientReachesTheValuesAndTheDefault()
    {
        var g = new Graph();
        var v = g.Placeholder(DType.Float64, [3], name: "v");
        var d = g.Placeholder(DType.Float64, [], name: "d");
        var (_, fv, _, _) = g.SparseFillEmptyRows(g.Constant(Tensor.FromArray(new long[,] { { 1, 0 }, { 1, 2 }, { 3, 1 } })), v, g.Constant(new long[] { 5, 3 }), d);
        var loss = g.ReduceSum(fv * fv * g.Constant(new[] { 1.0, 2, 3, 4, 5, 6 }));
        using var s = new Session(g);
        var cv = GradientChecker.Compute(s, v, new[] { 0.5, -1.0, 2.0 }, loss, new FeedDict { [d] = Tensor.Scalar(0.25) });
        Assert.That(cv.MaxRelativeError, Is.LessThan(1e-6), $"values: {cv.MaxError}");
        var cd = GradientChecker.Compute(s, d, Tensor.Scalar(0.25), loss, new FeedDict { [v] = new[] { 0.5, -1.0, 2.0 } });
        Assert.That(cd.MaxRelativeError, Is.LessThan(1e-6), $"default: {cd.MaxError}");
    }
}
