namespace TensorGraph.Tests.Ops;

/// <summary>
/// GatherNd, SparseReshape, SparseFillEmptyRows and SparseSegmentSum — the ops TF's feature
/// columns put between a categorical input and its weights (to_sparse_input, SparseReshape,
/// safe_embedding_lookup_sparse). Values are the examples of TF's API documentation; gradients
/// are checked by finite differences.
/// </summary>
public class SparseFeatureColumnOpsTests
{
    private static Tensor Run(Graph g, Output o, FeedDict? feeds = null)
    {
        using var s = new Session(g);
        return s.Run(o, feeds ?? new FeedDict())!;
    }

    [Test]
    public void GatherNdPicksElementsAndSlices()
    {
        // tf.gather_nd docs: [['a','b'],['c','d']] at [[0,0],[1,1]] is ['a','d']; at [[1],[0]] the rows swap.
        var g = new Graph();
        var p = g.Constant(Tensor.Create(new[] { "a", "b", "c", "d" }, 2, 2));
        var e = g.GatherNd(p, g.Constant(Tensor.FromArray(new long[,] { { 0, 0 }, { 1, 1 } })));
        var rows = g.GatherNd(p, g.Constant(new[,] { { 1 }, { 0 } }));
        Assert.That(e.Shape.ToString(), Is.EqualTo(new Shape(2).ToString()));
        Assert.That(Run(g, e).ToArray<string>(), Is.EqualTo(new[] { "a", "d" }));
        var r = Run(g, rows);
        Assert.That(r.Dims.ToArray(), Is.EqualTo(new[] { 2, 2 }));
        Assert.That(r.ToArray<string>(), Is.EqualTo(new[] { "c", "d", "a", "b" }));
    }

    [Test]
    public void GatherNdOutOfBoundsIsAnError()
    {
        var g = new Graph();
        var o = g.GatherNd(g.Constant(new float[,] { { 1, 2 }, { 3, 4 } }), g.Constant(Tensor.FromArray(new long[,] { { 0, 2 } })));
        var ex = Assert.Throws<InvalidArgumentException>(() => Run(g, o));
        Assert.That(ex!.Message, Does.Contain("indices[0] = [0, 2] does not index into param shape"));
    }

    [Test]
    public void GatherNdGradientAddsAtTheGatheredPlaces()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, [3, 2], name: "x");
        // [1] twice: its gradient is the sum of both slices' gradients.
        var y = g.GatherNd(x, g.Constant(new[,] { { 1 }, { 2 }, { 1 } }));
        using var s = new Session(g);
        var check = GradientChecker.Compute(s, x, Tensor.Create(new double[] { 1, 2, 3, 4, 5, 6 }, 3, 2), y, delta: 1e-6);
        Assert.That(check.MaxError, Is.LessThan(1e-8));
        var y2 = g.GatherNd(x, g.Constant(Tensor.FromArray(new long[,] { { 2, 1 }, { 0, 0 }, { 2, 1 } })));
        var check2 = GradientChecker.Compute(s, x, Tensor.Create(new double[] { 1, 2, 3, 4, 5, 6 }, 3, 2), y2, delta: 1e-6);
        Assert.That(check2.MaxError, Is.LessThan(1e-8));
    }

    [Test]
    public void SparseReshapeKeepsRowMajorOrderAndInfersMinusOne()
    {
        // Dense [2, 3] entries at offsets 1 and 5 are, in [3, 2], at [0, 1] and [2, 1].
        var g = new Graph();
        var (ix, shape) = g.SparseReshape(g.Constant(Tensor.FromArray(new long[,] { { 0, 1 }, { 1, 2 } })), g.Constant(new long[] { 2, 3 }), g.Constant(new long[] { 3, -1 }));
        using var s = new Session(g);
        var r = s.Run([ix, shape], new FeedDict());
        Assert.That(r[0]!.ToArray<long>(), Is.EqualTo(new long[] { 0, 1, 2, 1 }));
        Assert.That(r[1]!.ToArray<long>(), Is.EqualTo(new long[] { 3, 2 }));
    }

    [Test]
    public void SparseReshapeToAnIncompatibleShapeIsAnError()
    {
        var g = new Graph();
        var (ix, _) = g.SparseReshape(g.Constant(Tensor.FromArray(new long[,] { { 0, 1 } })), g.Constant(new long[] { 2, 3 }), g.Constant(new long[] { 4, -1 }));
        var ex = Assert.Throws<InvalidArgumentException>(() => Run(g, ix));
        Assert.That(ex!.Message, Does.Contain("requires a multiple of 4"));
    }

    [Test]
    public void SparseFillEmptyRowsMatchesTheDocumentedExample()
    {
        // tf.sparse.fill_empty_rows docs: rows 1 and 4 of a [5, 6] tensor are empty.
        var g = new Graph();
        var r = g.SparseFillEmptyRows(g.Constant(Tensor.FromArray(new long[,] { { 0, 1 }, { 0, 3 }, { 2, 0 }, { 3, 1 } })), g.Constant(new[] { "a", "b", "c", "d" }),
            g.Constant(new long[] { 5, 6 }), g.Constant(Tensor.Scalar("x")));
        using var s = new Session(g);
        var o = s.Run([r.OutputIndices, r.OutputValues, r.EmptyRowIndicator, r.ReverseIndexMap], new FeedDict());
        Assert.That(o[0]!.ToArray<long>(), Is.EqualTo(new long[] { 0, 1, 0, 3, 1, 0, 2, 0, 3, 1, 4, 0 }));
        Assert.That(o[1]!.ToArray<string>(), Is.EqualTo(new[] { "a", "b", "x", "c", "d", "x" }));
        Assert.That(o[2]!.ToArray<bool>(), Is.EqualTo(new[] { false, true, false, false, true }));
        Assert.That(o[3]!.ToArray<long>(), Is.EqualTo(new long[] { 0, 1, 3, 4 }));
    }

    [Test]
    public void SparseFillEmptyRowsGradientReachesValuesAndDefault()
    {
        var g = new Graph();
        var v = g.Placeholder(DType.Float64, [3], name: "v");
        var d = g.Placeholder(DType.Float64, [], name: "d");
        var r = g.SparseFillEmptyRows(g.Constant(Tensor.FromArray(new long[,] { { 0, 0 }, { 2, 1 }, { 2, 0 } })), v, g.Constant(new long[] { 4, 2 }), d);
        // Weight each output position differently so a misplaced gradient shows.
        var y = g.Multiply(r.OutputValues, g.Constant(new double[] { 1, 2, 3, 4, 5 }));
        using var s = new Session(g);
        var dv = GradientChecker.Compute(s, v, Tensor.FromArray(new double[] { 0.5, -1, 2 }), y, new FeedDict { [d] = Tensor.Scalar(7.0) }, delta: 1e-6);
        Assert.That(dv.MaxError, Is.LessThan(1e-8));
        var dd = GradientChecker.Compute(s, d, Tensor.Scalar(7.0), y, new FeedDict { [v] = Tensor.FromArray(new double[] { 0.5, -1, 2 }) }, delta: 1e-6);
        Assert.That(dd.MaxError, Is.LessThan(1e-8));
    }

    [Test]
    public void SparseSegmentSumMatchesTheDocumentedExamples()
    {
        // tf.sparse.segment_sum docs, c = [[1,2,3,4], [-1,-2,-3,-4], [5,6,7,8]].
        var g = new Graph();
        var c = g.Constant(new float[,] { { 1, 2, 3, 4 }, { -1, -2, -3, -4 }, { 5, 6, 7, 8 } });
        var one = g.SparseSegmentSum(c, g.Constant(new[] { 0, 1 }), g.Constant(new[] { 0, 0 }));
        var two = g.SparseSegmentSum(c, g.Constant(new[] { 0, 1 }), g.Constant(new[] { 0, 1 }));
        var picked = g.SparseSegmentSum(c, g.Constant(new long[] { 0, 2 }), g.Constant(new[] { 0, 1 }));
        var gap = g.SparseSegmentSum(c, g.Constant(new[] { 2 }), g.Constant(new[] { 2 }));
        Assert.That(Run(g, one).ToArray<float>(), Is.EqualTo(new float[] { 0, 0, 0, 0 }));
        Assert.That(Run(g, two).ToArray<float>(), Is.EqualTo(new float[] { 1, 2, 3, 4, -1, -2, -3, -4 }));
        Assert.That(Run(g, picked).ToArray<float>(), Is.EqualTo(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }));
        var r = Run(g, gap);
        Assert.That(r.Dims.ToArray(), Is.EqualTo(new[] { 3, 4 }), "segments 0 and 1 do not occur: zero rows");
        Assert.That(r.ToArray<float>(), Is.EqualTo(new float[] { 0, 0, 0, 0, 0, 0, 0, 0, 5, 6, 7, 8 }));
    }

    [Test]
    public void SparseSegmentSumRejectsUnsortedSegments()
    {
        var g = new Graph();
        var o = g.SparseSegmentSum(g.Constant(new float[,] { { 1 }, { 2 } }), g.Constant(new[] { 0, 1 }), g.Constant(new[] { 1, 0 }));
        var ex = Assert.Throws<InvalidArgumentException>(() => Run(g, o));
        Assert.That(ex!.Message, Does.Contain("segment ids are not increasing"));
    }

    [Test]
    public void SparseSegmentSumGradient()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, [3, 2], name: "x");
        var y = g.SparseSegmentSum(x, g.Constant(new[] { 2, 0, 2, 1 }), g.Constant(new[] { 0, 0, 1, 3 }));
        using var s = new Session(g);
        var check = GradientChecker.Compute(s, x, Tensor.Create(new double[] { 1, 2, 3, 4, 5, 6 }, 3, 2), y, delta: 1e-6);
        Assert.That(check.MaxError, Is.LessThan(1e-8));
    }
}
