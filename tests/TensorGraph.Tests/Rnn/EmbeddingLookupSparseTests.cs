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
