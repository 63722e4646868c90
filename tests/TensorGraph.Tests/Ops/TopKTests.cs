namespace TensorGraph.Tests.Ops;

/// <summary>TopKV2 (tf.nn.top_k): values and indices per row, TF's tie order, errors, shape inference and the gradient.</summary>
public class TopKTests
{
    [Test]
    public void ReturnsTheLargestEntriesOfEachRowLargestFirst()
    {
        // TF: tf.nn.top_k([[1, 3, 2, 3], [4, -1, 0, 9]], k=3) -> values [[3, 3, 2], [9, 4, 0]], indices [[1, 3, 2], [3, 0, 2]]
        var g = new Graph();
        var (values, indices) = g.TopK(g.Constant(new float[,] { { 1, 3, 2, 3 }, { 4, -1, 0, 9 } }), 3);
        Assert.That(values.Op.Type, Is.EqualTo("TopKV2"));
        Assert.That(values.Shape, Is.EqualTo(new Shape(2, 3)));
        using var s = new Session(g);
        var (v, i) = s.Run(values, indices);
        Assert.That(v.ToArray<float>(), Is.EqualTo(new float[] { 3, 3, 2, 9, 4, 0 }));
        Assert.That(i.ToArray<int>(), Is.EqualTo(new[] { 1, 3, 2, 3, 0, 2 }), "equal values keep the lower index first");
    }

    [Test]
    public void WorksOnVectorsHigherRanksAndIntegers()
    {
        var g = new Graph();
        var (v1, i1) = g.TopK(g.Constant(new long[] { 5, 7, 7, 1 }), 2);
        var x = g.Constant(Tensor.Create(Enumerable.Range(0, 24).Select(j => (j * 7) % 11).ToArray(), 2, 3, 4));
        var (v3, i3) = g.TopK(x, 1);
        var (v0, _) = g.TopK(x, 0);
        using var s = new Session(g);
        Assert.That(s.Run(v1).ToArray<long>(), Is.EqualTo(new long[] { 7, 7 }));
        Assert.That(s.Run(i1).ToArray<int>(), Is.EqualTo(new[] { 1, 2 }));
        var rows = Enumerable.Range(0, 6).Select(r => Enumerable.Range(0, 4).Select(c => ((r * 4 + c) * 7) % 11).ToArray()).ToArray();
        Assert.That(s.Run(v3).ToArray<int>(), Is.EqualTo(rows.Select(r => r.Max()).ToArray()));
        Assert.That(s.Run(i3).ToArray<int>(), Is.EqualTo(rows.Select(r => Array.IndexOf(r, r.Max())).ToArray()));
        Assert.That(s.Run(v0).Dims.ToArray(), Is.EqualTo(new[] { 2, 3, 0 }));
    }

    [Test]
    public void KLargerThanTheRowIsAnError()
    {
        var g = new Graph();
        Assert.That(() => g.TopK(g.Constant(new float[] { 1, 2 }), 3), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("last dimension >= k = 3"));
        var x = g.Placeholder(DType.Float32, new Shape(-1), "x");
        var (v, _) = g.TopK(x, 3);
        Assert.That(v.Shape, Is.EqualTo(new Shape(3)));
        using var s = new Session(g);
        Assert.That(() => s.Run(v, new FeedDict { [x] = new float[] { 1, 2 } }),
            Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("at least k columns. Had 2, needed 3"));
    }

    [Test]
    public void GradientGoesBackToTheChosenPositions()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, new Shape(3, 5), "x");
        var (v, _) = g.TopK(x, 2);
        var y = g.ReduceSum(v * g.Constant(new double[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } }));
        var dx = g.Gradients(y, x)[0]!.Value;
        var xv = Tensor.Create(new double[] { 1, 9, 3, 7, 5, 0.5, 0.1, 0.3, 0.2, 0.4, -3, -1, -2, -5, -4 }, 3, 5);
        using var s = new Session(g);
        Assert.That(s.Run(dx, new FeedDict { [x] = xv }).ToArray<double>(),
            Is.EqualTo(new double[] { 0, 1, 0, 2, 0, 3, 0, 0, 0, 4, 0, 5, 6, 0, 0 }));
        // Finite differences away from ties.
        var check = GradientChecker.Compute(s, x, xv, y, delta: 1e-6);
        Assert.That(check.MaxError, Is.LessThan(1e-6));
    }
}
