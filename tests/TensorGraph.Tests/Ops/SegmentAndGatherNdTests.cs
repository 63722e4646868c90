namespace TensorGraph.Tests.Ops;

/// <summary>
/// GatherNd, ScatterNd, SegmentSum and SparseSegmentSum/Mean/SqrtN: values against loops written
/// here, TF's run-time errors, and finite-difference gradients (which also exercise
/// SparseSegmentMeanGrad and SparseSegmentSqrtNGrad).
/// </summary>
public class SegmentAndGatherNdTests
{
    private static readonly double[,] Data = { { 1, -2, 3 }, { 4, 5, -6 }, { -7, 8, 9 }, { 0.5, 1.5, -2.5 } };

    [Test]
    public void GatherNdPicksElementsRowsAndBatches()
    {
        var g = new Graph();
        var p = g.Constant(Tensor.FromArray(Data));
        var elements = g.GatherNd(p, g.Constant(Tensor.FromArray(new long[,] { { 1, 2 }, { 0, 0 }, { 3, 1 } })));
        var rows = g.GatherNd(p, g.Constant(new[,] { { 2 }, { 0 } }));
        var batched = g.GatherNd(p, g.Constant(Tensor.FromArray(new[,,] { { { 0, 1 } }, { { 2, 2 } } })));
        Assert.That(elements.Shape, Is.EqualTo(new Shape(3)));
        Assert.That(rows.Shape, Is.EqualTo(new Shape(2, 3)));
        Assert.That(batched.Shape, Is.EqualTo(new Shape(2, 1)));
        using var s = new Session(g);
        var r = s.Run([elements, rows, batched]);
        Assert.That(r[0].ToArray<double>(), Is.EqualTo(new[] { -6.0, 1, 1.5 }));
        Assert.That(r[1].ToArray<double>(), Is.EqualTo(new[] { -7.0, 8, 9, 1, -2, 3 }));
        Assert.That(r[2].ToArray<double>(), Is.EqualTo(new[] { -2.0, 9 }));
        var bad = g.GatherNd(p, g.Placeholder(DType.Int32, [-1, 2], name: "bad"));
        var ex = Assert.Throws<InvalidArgumentException>(() => s.Run(bad, new FeedDict { [g.GetTensor("bad:0")] = Tensor.FromArray(new[,] { { 0, 0 }, { 4, 0 } }) }));
        Assert.That(ex!.Message, Does.Contain("does not index into param shape [4, 3]"));
        Assert.Throws<InvalidArgumentException>(() => g.GatherNd(p, g.Constant(new[,] { { 0, 0, 0 } })));
    }

    [Test]
    public void ScatterNdAddsDuplicatesIntoZeros()
    {
        var g = new Graph();
        var indices = g.Constant(new[,] { { 1 }, { 3 }, { 1 } });
        var updates = g.Constant(new double[,] { { 1, 2 }, { 3, 4 }, { 10, 20 } });
        var r = g.ScatterNd(indices, updates, g.Constant(new[] { 4, 2 }));
        var elems = g.ScatterNd(g.Constant(new[,] { { 0, 1 }, { 0, 1 }, { 2, 0 } }), g.Constant(new[] { 1.0, 2, 3 }), g.Constant(new[] { 3, 2 }));
        Assert.That(r.Shape, Is.EqualTo(new Shape(4, 2)));
        using var s = new Session(g);
        Assert.That(s.Run(r).ToArray<double>(), Is.EqualTo(new[] { 0.0, 0, 11, 22, 0, 0, 3, 4 }));
        Assert.That(s.Run(elems).ToArray<double>(), Is.EqualTo(new[] { 0.0, 3, 0, 0, 3, 0 }));
        var bad = g.ScatterNd(g.Constant(new[,] { { 5 } }), g.Constant(new double[,] { { 1, 2 } }), g.Constant(new[] { 4, 2 }));
        Assert.Throws<InvalidArgumentException>(() => s.Run(bad));
    }

    [Test]
    public void GatherNdAndScatterNdGradientsMatchFiniteDifferences()
    {
        var g = new Graph();
        var p = g.Placeholder(DType.Float64, [4, 3], name: "p");
        var pairs = g.GatherNd(p, g.Constant(new[,] { { 1, 2 }, { 0, 0 }, { 1, 2 } }));
        var rows = g.GatherNd(p, g.Constant(Tensor.FromArray(new long[,] { { 2 }, { 0 }, { 2 } })));
        var loss = g.ReduceSum(pairs * pairs) + g.ReduceSum(rows * rows * rows);
        var u = g.Placeholder(DType.Float64, [3, 2], name: "u");
        var scattered = g.ScatterNd(g.Constant(new[,] { { 1 }, { 0 }, { 1 } }), u, g.Constant(new[] { 3, 2 }));
        var loss2 = g.ReduceSum(scattered * scattered);
        using var s = new Session(g);
        var c = GradientChecker.Compute(s, p, Tensor.FromArray(Data), loss);
        Assert.That(c.MaxRelativeError, Is.LessThan(1e-5), $"GatherNd: {c.MaxError}");
        var c2 = GradientChecker.Compute(s, u, Tensor.FromArray(new double[,] { { 1, -2 }, { 3, 0.5 }, { -1, 2 } }), loss2);
        Assert.That(c2.MaxRelativeError, Is.LessThan(1e-5), $"ScatterNd: {c2.MaxError}");
    }

    [Test]
    public void SegmentSumSumsSortedSegmentsAndRefusesUnsortedOnes()
    {
        var g = new Graph();
        var data = g.Placeholder(DType.Float64, [4, 3], name: "data");
        var ids = g.Placeholder(DType.Int64, [4], name: "ids");
        var r = g.SegmentSum(data, ids);
        Assert.That(r.Shape, Is.EqualTo(new Shape(-1, 3)));
        using var s = new Session(g);
        long[] segs = [0, 0, 2, 3];
        var got = s.Run(r, new FeedDict { [data] = Tensor.FromArray(Data), [ids] = segs });
        Assert.That(got.Dims.ToArray(), Is.EqualTo(new[] { 4, 3 }));
        var want = new double[4 * 3];
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 3; j++) want[segs[i] * 3 + j] += Data[i, j];
        Assert.That(got.ToArray<double>(), Is.EqualTo(want));
        var ex = Assert.Throws<InvalidArgumentException>(() => s.Run(r, new FeedDict { [data] = Tensor.FromArray(Data), [ids] = new long[] { 0, 2, 1, 3 } }));
        Assert.That(ex!.Message, Does.Contain("not increasing"));
        var c = GradientChecker.Compute(s, data, Tensor.FromArray(Data), g.ReduceSum(r * r), new FeedDict { [ids] = segs });
        Assert.That(c.MaxRelativeError, Is.LessThan(1e-5));
    }

    [TestCase("sum")]
    [TestCase("mean")]
    [TestCase("sqrtn")]
    public void SparseSegmentReductionsMatchALoopAndTheirGradientsMatchFiniteDifferences(string kind)
    {
        int[] indices = [3, 0, 3, 1, 2];
        int[] segs = [0, 0, 0, 2, 2];
        var g = new Graph();
        var data = g.Placeholder(DType.Float64, [4, 3], name: "data");
        var idx = g.Constant(indices);
        var seg = g.Constant(segs);
        var r = kind switch
        {
            "sum" => g.SparseSegmentSum(data, idx, seg),
            "mean" => g.SparseSegmentMean(data, idx, seg),
            _ => g.SparseSegmentSqrtN(data, idx, seg),
        };
        using var s = new Session(g);
        var got = s.Run(r, new FeedDict { [data] = Tensor.FromArray(Data) });
        Assert.That(got.Dims.ToArray(), Is.EqualTo(new[] { 3, 3 }));
        var want = new double[3 * 3];
        var count = new int[3];
        for (int i = 0; i < indices.Length; i++)
        {
            count[segs[i]]++;
            for (int j = 0; j < 3; j++) want[segs[i] * 3 + j] += Data[indices[i], j];
        }
        for (int k = 0; k < 3; k++)
        {
            double div = kind == "sum" || count[k] == 0 ? 1 : kind == "mean" ? count[k] : Math.Sqrt(count[k]);
            for (int j = 0; j < 3; j++) want[k * 3 + j] /= div;
        }
        Assert.That(got.ToArray<double>(), Is.EqualTo(want).Within(1e-12));
        var c = GradientChecker.Compute(s, data, Tensor.FromArray(Data), g.ReduceSum(r * r));
        Assert.That(c.MaxRelativeError, Is.LessThan(1e-5), $"{kind}: {c.MaxError}");
        if (kind != "sum")
            Assert.That(g.Operations.Any(o => o.Type == (kind == "mean" ? "SparseSegmentMeanGrad" : "SparseSegmentSqrtNGrad")), Is.True);
    }

    [Test]
    public void SparseSegmentReductionsRefuseBadIds()
    {
        var g = new Graph();
        var data = g.Constant(Tensor.FromArray(Data));
        using var s = new Session(g);
        var outOfRange = g.SparseSegmentSum(data, g.Constant(new[] { 0, 4 }), g.Constant(new[] { 0, 1 }));
        Assert.That(Assert.Throws<InvalidArgumentException>(() => s.Run(outOfRange))!.Message, Does.Contain("out of range [0, 4)"));
        var unsorted = g.SparseSegmentMean(data, g.Constant(new[] { 0, 1, 2 }), g.Constant(new[] { 0, 2, 1 }));
        Assert.That(Assert.Throws<InvalidArgumentException>(() => s.Run(unsorted))!.Message, Does.Contain("not increasing"));
        Assert.Throws<InvalidArgumentException>(() => g.SparseSegmentSum(data, g.Constant(new[] { 0, 1 }), g.Constant(new[] { 0, 0, 1 })));
        Assert.Throws<InvalidArgumentException>(() => g.SparseSegmentMean(g.Constant(new[,] { { 1, 2 } }), g.Constant(new[] { 0 }), g.Constant(new[] { 0 })));
    }
}
